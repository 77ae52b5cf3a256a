// BpeTrainer: learns a byte-level BPE vocabulary from a text corpus (GPT-2 style: regex pre-tokenization, 256 byte
// symbols, then repeatedly merge the most frequent adjacent pair). Deterministic: ties go to the pair of smaller ids.
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Rebel.Models.Tokenization;

/// <summary>Trains byte-level BPE tokenizers for small from-scratch models.</summary>
public static partial class BpeTrainer
{
    /// <summary>GPT-2's pattern with every digit its own piece, so small models see numbers digit by digit.</summary>
    public const string DigitSplitPattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>
    /// Trains on <paramref name="texts"/> until the vocabulary holds <paramref name="vocabSize"/> tokens or no pair occurs
    /// <paramref name="minFrequency"/> times. Ids: special tokens first (0..k-1), then the 256 bytes in byte order, then
    /// merges in the order learned. Special tokens occurring in the corpus are cut out, never learned from.
    /// The result carries a <see cref="TokenizerConfig"/> whose BOS/EOS/pad token is the first special token.
    /// <paramref name="splitPattern"/> replaces GPT-2's pre-tokenizer regex (e.g. <see cref="DigitSplitPattern"/> so numbers are
    /// spelt digit by digit); it is saved as a Split step before ByteLevel, as Llama-3 and Qwen2 tokenizers do.
    /// </summary>
    public static BpeTokenizer Train(IEnumerable<string> texts, int vocabSize, IReadOnlyList<string>? specialTokens = null, int minFrequency = 2,
        string? splitPattern = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var specials = specialTokens ?? ["<|endoftext|>"];
        if (specials.Distinct(StringComparer.Ordinal).Count() != specials.Count || specials.Any(string.IsNullOrEmpty))
            throw new ArgumentException("Special tokens must be distinct and non-empty.", nameof(specialTokens));
        if (vocabSize < specials.Count + 256)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, $"A byte-level vocabulary needs at least 256 + {specials.Count} special tokens.");
        ArgumentOutOfRangeException.ThrowIfLessThan(minFrequency, 1);

        var symbols = new List<string>(specials);
        for (int b = 0; b < 256; b++) symbols.Add(ByteLevel.ToChar((byte)b).ToString());
        var idOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < symbols.Count; i++) idOf.TryAdd(symbols[i], i);

        var (words, counts) = CountWords(texts, specials, idOf, splitPattern ?? PreTokenizerRegex.Gpt2Pattern);
        var merges = new List<(string Left, string Right)>();
        var state = new PairState(words, counts);
        while (idOf.Count < vocabSize && state.TryPopBest(minFrequency, out int left, out int right))
        {
            string merged = symbols[left] + symbols[right];
            if (!idOf.TryGetValue(merged, out int newId))
            {
                newId = symbols.Count;
                symbols.Add(merged);
                idOf[merged] = newId;
            }
            merges.Add((symbols[left], symbols[right]));
            state.Merge(left, right, newId);
        }

        var json = BuildJson(symbols, [.. specials.Select((_, i) => i)], merges, splitPattern);
        return new BpeTokenizer(json, "<trained>")
        {
            Config = new TokenizerConfig { BosToken = specials.FirstOrDefault(), EosToken = specials.FirstOrDefault(), PadToken = specials.FirstOrDefault(), AddBosToken = false },
        };
    }

    private static (List<int[]> Words, List<long> Counts) CountWords(IEnumerable<string> texts, IReadOnlyList<string> specials, Dictionary<string, int> idOf, string splitPattern)
    {
        var pattern = PreTokenizerRegex.Create(splitPattern);
        var splitter = specials.Count == 0 ? null : new Regex(string.Join("|", specials.OrderByDescending(s => s.Length).Select(Regex.Escape)), RegexOptions.CultureInvariant);
        var frequency = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string text in texts)
        {
            foreach (string segment in splitter is null ? [text] : splitter.Split(text))
            {
                for (var m = pattern.Match(segment); m.Success; m = m.NextMatch())
                {
                    if (m.Length == 0) continue;
                    string word = ByteLevel.Encode(m.ValueSpan);
                    frequency[word] = frequency.GetValueOrDefault(word) + 1;
                }
            }
        }
        var words = new List<int[]>(frequency.Count);
        var counts = new List<long>(frequency.Count);
        foreach (var (word, count) in frequency.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            words.Add(word.Select(c => idOf[c.ToString()]).ToArray());
            counts.Add(count);
        }
        return (words, counts);
    }

    private static JsonObject BuildJson(List<string> symbols, IReadOnlyList<int> specialIds, List<(string Left, string Right)> merges, string? splitPattern)
    {
        var vocab = new JsonObject();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < symbols.Count; i++)
        {
            if (seen.Add(symbols[i])) vocab[symbols[i]] = i;
        }
        var added = new JsonArray();
        foreach (int id in specialIds)
        {
            added.Add(new JsonObject
            {
                ["id"] = id,
                ["content"] = symbols[id],
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = false,
                ["normalized"] = false,
                ["special"] = true,
            });
        }
        JsonObject ByteLevelStep(bool trimOffsets) => new()
        {
            ["type"] = "ByteLevel",
            ["add_prefix_space"] = false,
            ["trim_offsets"] = trimOffsets,
            ["use_regex"] = true,
        };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = splitPattern is null ? ByteLevelStep(true) : new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = splitPattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
            },
            ["post_processor"] = ByteLevelStep(false),
            ["decoder"] = ByteLevelStep(true),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(merges.Select(m => (JsonNode?)JsonValue.Create(m.Left + " " + m.Right)).ToArray()),
            },
        };
    }

    /// <summary>Pair counts over the distinct words, with a lazily-updated max-queue and pair -> words index.</summary>
    private sealed class PairState
    {
        private readonly List<int[]> words;
        private readonly List<long> counts;
        private readonly Dictionary<long, long> pairCounts = [];
        private readonly Dictionary<long, HashSet<int>> wordsWithPair = [];
        private readonly PriorityQueue<long, (long Count, int Left, int Right)> queue = new(Comparer<(long Count, int Left, int Right)>.Create((a, b) =>
            a.Count != b.Count ? b.Count.CompareTo(a.Count) : a.Left != b.Left ? a.Left.CompareTo(b.Left) : a.Right.CompareTo(b.Right)));

        public PairState(List<int[]> words, List<long> counts)
        {
            this.words = words;
            this.counts = counts;
            for (int w = 0; w < words.Count; w++) AddPairs(w, +1, null);
            foreach (var (key, count) in pairCounts) queue.Enqueue(key, (count, Left(key), Right(key)));
        }

        public bool TryPopBest(int minFrequency, out int left, out int right)
        {
            while (queue.TryDequeue(out long key, out var priority))
            {
                long current = pairCounts.GetValueOrDefault(key);
                if (current != priority.Count)
                {
                    if (current > 0) queue.Enqueue(key, (current, priority.Left, priority.Right));
                    continue;
                }
                if (current < minFrequency) break;
                (left, right) = (priority.Left, priority.Right);
                return true;
            }
            (left, right) = (-1, -1);
            return false;
        }

        public void Merge(int left, int right, int newId)
        {
            long key = Key(left, right);
            var increased = new HashSet<long>();
            foreach (int w in wordsWithPair[key].Order())
            {
                int[] word = words[w];
                if (!Contains(word, left, right)) continue;
                AddPairs(w, -1, null);
                var merged = new List<int>(word.Length);
                for (int i = 0; i < word.Length; i++)
                {
                    if (i + 1 < word.Length && word[i] == left && word[i + 1] == right)
                    {
                        merged.Add(newId);
                        i++;
                    }
                    else
                    {
                        merged.Add(word[i]);
                    }
                }
                words[w] = [.. merged];
                AddPairs(w, +1, increased);
            }
            pairCounts.Remove(key);
            wordsWithPair.Remove(key);
            foreach (long k in increased.Order())
            {
                if (pairCounts.TryGetValue(k, out long c) && c > 0) queue.Enqueue(k, (c, Left(k), Right(k)));
            }
        }

        private void AddPairs(int w, int sign, HashSet<long>? increased)
        {
            int[] word = words[w];
            for (int i = 0; i + 1 < word.Length; i++)
            {
                long k = Key(word[i], word[i + 1]);
                pairCounts[k] = pairCounts.GetValueOrDefault(k) + sign * counts[w];
                if (sign > 0)
                {
                    if (!wordsWithPair.TryGetValue(k, out var set)) wordsWithPair[k] = set = [];
                    set.Add(w);
                    increased?.Add(k);
                }
            }
        }

        private static bool Contains(int[] word, int left, int right)
        {
            for (int i = 0; i + 1 < word.Length; i++)
            {
                if (word[i] == left && word[i + 1] == right) return true;
            }
            return false;
        }

        private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

        private static int Left(long key) => (int)(key >> 32);

        private static int Right(long key) => (int)(uint)key;
    }
}
