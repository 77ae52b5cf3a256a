// BpeTokenizer, encoding internals: added tokens split out before and after normalization, pre-tokenization, and the BPE
// model on one word (characters to ids with byte fallback / unk, then merges: lowest-rank pair first, leftmost first).
namespace Rebel.Models.Tokenization;

public sealed partial class BpeTokenizer
{
    /// <summary>The ids of one text, without the post-processor's special tokens.</summary>
    private List<int> EncodeSequence(string text)
    {
        var ids = new List<int>();
        int start = 0;
        foreach (var (matchStart, matchEnd, token) in rawAdded.Find(text))
        {
            EncodeNormalized(text[start..matchStart], start == 0, ids);
            ids.Add(token.Id);
            start = matchEnd;
        }
        EncodeNormalized(text[start..], start == 0, ids);
        return ids;
    }

    /// <summary>Normalizes a stretch of text between non-normalized added tokens, then splits out the normalized ones.</summary>
    private void EncodeNormalized(string chunk, bool atStart, List<int> ids)
    {
        if (chunk.Length == 0) return;
        string normalized = normalizer?.Apply(chunk) ?? chunk;
        int start = 0;
        foreach (var (matchStart, matchEnd, token) in normalizedAdded.Find(normalized))
        {
            EncodeWords(normalized[start..matchStart], atStart && start == 0, ids);
            ids.Add(token.Id);
            start = matchEnd;
        }
        EncodeWords(normalized[start..], atStart && start == 0, ids);
    }

    private void EncodeWords(string text, bool atStart, List<int> ids)
    {
        if (text.Length == 0) return;
        var piece = new Piece(text, atStart);
        if (preTokenizer is null)
        {
            ids.AddRange(BpeWord(text));
            return;
        }
        foreach (var word in preTokenizer.Apply([piece])) ids.AddRange(BpeWord(word.Text));
    }

    /// <summary>BPE of one pre-tokenized word.</summary>
    private int[] BpeWord(string word)
    {
        if (options.IgnoreMerges && vocab.TryGetValue(word, out int whole)) return [whole];
        if (cache.TryGetValue(word, out var cached)) return cached;

        var symbols = InitialSymbols(word);
        int count = symbols.Count;
        var ids = symbols.ToArray();
        var prev = new int[count];
        var next = new int[count];
        var alive = new bool[count];
        for (int i = 0; i < count; i++)
        {
            prev[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
            alive[i] = true;
        }

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
        if (word.Length <= CachedWordLength && cacheSize < CacheCapacity && cache.TryAdd(word, output)) Interlocked.Increment(ref cacheSize);
        return output;
    }

    /// <summary>
    /// One id per character (code point), as Hugging Face's BPE starts: the character's token (with the continuing-subword
    /// prefix after the first, the end-of-word suffix on the last), else its UTF-8 bytes' &lt;0xNN&gt; tokens, else unk (runs
    /// of unknown characters fused into one unk with fuse_unk), else nothing.
    /// </summary>
    private List<int> InitialSymbols(string word)
    {
        var symbols = new List<int>(word.Length);
        var lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        bool pendingUnk = false;
        Span<byte> buffer = stackalloc byte[64];
        for (int i = 0; i < word.Length;)
        {
            int length = char.IsSurrogatePair(word, i) ? 2 : 1;
            string? prefix = i > 0 ? options.Prefix : null;
            string? suffix = i + length == word.Length ? options.Suffix : null;
            var symbol = prefix is null && suffix is null ? word.AsSpan(i, length) : (prefix + word.Substring(i, length) + suffix).AsSpan();
            i += length;
            if (lookup.TryGetValue(symbol, out int id))
            {
                if (pendingUnk) symbols.Add(options.UnkId!.Value);
                pendingUnk = false;
                symbols.Add(id);
                continue;
            }
            if (options.ByteFallback is { } byteIds)
            {
                // As Hugging Face: the character's bytes when every one of them has a <0xNN> token, else unk (e.g. a vocabulary
                // that spells the tab as "\t" and has no <0x09>).
                var bytes = symbol.Length * 3 <= buffer.Length ? buffer : new byte[symbol.Length * 3];
                int n = System.Text.Encoding.UTF8.GetBytes(symbol, bytes);
                bool all = true;
                for (int b = 0; b < n; b++) all &= byteIds[bytes[b]] >= 0;
                if (all)
                {
                    if (pendingUnk) symbols.Add(options.UnkId!.Value);
                    pendingUnk = false;
                    for (int b = 0; b < n; b++) symbols.Add(byteIds[bytes[b]]);
                    continue;
                }
            }
            if (options.UnkId is int unk)
            {
                if (pendingUnk && !options.FuseUnk) symbols.Add(unk);
                pendingUnk = true;
            }
        }
        if (pendingUnk) symbols.Add(options.UnkId!.Value);
        return symbols;
    }
}
