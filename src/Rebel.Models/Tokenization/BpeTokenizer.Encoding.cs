// BpeTokenizer, encoding internals: pre-tokenizer splits and the BPE merge loop (lowest-rank pair first, leftmost first).
using System.Text.RegularExpressions;

namespace Rebel.Models.Tokenization;

public sealed partial class BpeTokenizer
{
    private List<string> PreTokenize(string text)
    {
        var pieces = new List<string> { text };
        foreach (var step in preTokenizers)
        {
            var next = new List<string>(pieces.Count * 2);
            foreach (string piece in pieces)
            {
                switch (step)
                {
                    case SplitStep split:
                        Split(piece, split.Pattern, split.Behavior, split.Invert, next);
                        break;
                    case ByteLevelStep byteLevel:
                        string p = byteLevel.AddPrefixSpace && !piece.StartsWith(' ') ? " " + piece : piece;
                        if (byteLevel.Pattern is null) next.Add(p);
                        else Split(p, byteLevel.Pattern, SplitBehavior.Isolated, invert: false, next);
                        break;
                }
            }
            pieces = next;
        }
        return pieces;
    }

    /// <summary>Splits <paramref name="text"/> at the matches of <paramref name="pattern"/>, as Hugging Face's Split does.</summary>
    private static void Split(string text, Regex pattern, SplitBehavior behavior, bool invert, List<string> destination)
    {
        // Spans of (start, length, isMatch) covering the text; with invert the matches are the "gaps".
        var spans = new List<(int Start, int Length, bool Delimiter)>();
        int last = 0;
        foreach (var m in pattern.EnumerateMatches(text))
        {
            if (m.Length == 0) continue;
            if (m.Index > last) spans.Add((last, m.Index - last, invert));
            spans.Add((m.Index, m.Length, !invert));
            last = m.Index + m.Length;
        }
        if (last < text.Length) spans.Add((last, text.Length - last, invert));

        int pendingStart = -1;
        for (int i = 0; i < spans.Count; i++)
        {
            var (start, length, delimiter) = spans[i];
            switch (behavior)
            {
                case SplitBehavior.Isolated:
                    destination.Add(text.Substring(start, length));
                    break;
                case SplitBehavior.Removed:
                    if (!delimiter) destination.Add(text.Substring(start, length));
                    break;
                case SplitBehavior.MergedWithPrevious:
                    if (delimiter && destination.Count > 0 && i > 0 && !spans[i - 1].Delimiter) destination[^1] += text.Substring(start, length);
                    else destination.Add(text.Substring(start, length));
                    break;
                case SplitBehavior.MergedWithNext:
                    if (delimiter)
                    {
                        if (pendingStart < 0) pendingStart = start;
                        if (i == spans.Count - 1) destination.Add(text[pendingStart..]);
                    }
                    else
                    {
                        int s = pendingStart >= 0 ? pendingStart : start;
                        destination.Add(text.Substring(s, start + length - s));
                        pendingStart = -1;
                    }
                    break;
                case SplitBehavior.Contiguous:
                    if (delimiter && i > 0 && spans[i - 1].Delimiter) destination[^1] += text.Substring(start, length);
                    else destination.Add(text.Substring(start, length));
                    break;
            }
        }
    }

    /// <summary>BPE of one pre-tokenized word written in byte characters.</summary>
    private int[] BpeWord(string word)
    {
        if (ignoreMerges && vocab.TryGetValue(word, out int whole)) return [whole];
        if (cache.TryGetValue(word, out var cached)) return cached;

        int n = word.Length;
        var ids = new int[n];
        var prev = new int[n];
        var next = new int[n];
        var alive = new bool[n];
        int count = 0;
        int previous = -1;
        var lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int i = 0; i < n; i++)
        {
            int id;
            if (lookup.TryGetValue(word.AsSpan(i, 1), out int known)) id = known;
            else if (unkId is int unk) id = unk;
            else continue;
            ids[count] = id;
            prev[count] = previous;
            alive[count] = true;
            if (previous >= 0) next[previous] = count;
            previous = count;
            count++;
        }
        if (count > 0) next[count - 1] = -1;

        // Queue of candidate merges: lowest rank first, then leftmost. Entries go stale when a neighbour merges.
        var queue = new PriorityQueue<(int Left, int Right, int LeftId, int RightId, int Merged), long>();
        void Offer(int left, int right)
        {
            if (left < 0 || right < 0) return;
            if (merges.TryGetValue(PairKey(ids[left], ids[right]), out var merge))
                queue.Enqueue((left, right, ids[left], ids[right], merge.Merged), ((long)merge.Rank << 32) | (uint)left);
        }
        for (int i = 0; i + 1 < count; i++) Offer(i, i + 1);

        while (queue.TryDequeue(out var m, out _))
        {
            if (!alive[m.Left] || !alive[m.Right] || next[m.Left] != m.Right || ids[m.Left] != m.LeftId || ids[m.Right] != m.RightId) continue;
            ids[m.Left] = m.Merged;
            alive[m.Right] = false;
            int after = next[m.Right];
            next[m.Left] = after;
            if (after >= 0) prev[after] = m.Left;
            Offer(prev[m.Left], m.Left);
            Offer(m.Left, after);
        }

        var result = new List<int>(count);
        for (int i = 0; i < count; i++)
        {
            if (alive[i]) result.Add(ids[i]);
        }
        int[] output = [.. result];
        if (cacheSize < CacheCapacity && cache.TryAdd(word, output)) Interlocked.Increment(ref cacheSize);
        return output;
    }
}
