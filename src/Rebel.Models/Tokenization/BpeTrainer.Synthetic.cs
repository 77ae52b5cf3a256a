// A byte-level BPE tokenizer of any exact size with no corpus: for random-weight model folders whose vocabulary must match
// a real checkpoint's (e.g. 151936 for Qwen2.5) so that every command accepts the folder.
namespace Rebel.Models.Tokenization;

public static partial class BpeTrainer
{
    /// <summary>
    /// A byte-level BPE tokenizer of exactly <paramref name="vocabSize"/> tokens: the 256 byte symbols, one special token
    /// <paramref name="specialToken"/> at id <paramref name="specialId"/> (BOS, EOS and padding of its tokenizer_config), and
    /// merges that spell every string of two bytes, then of three, … in breadth-first order (printable ASCII bytes first, so
    /// English text encodes into fewer tokens) until the vocabulary is full. Deterministic; the merges carry no knowledge of language.
    /// </summary>
    public static BpeTokenizer Synthetic(int vocabSize, int specialId, string specialToken = "<|endoftext|>")
    {
        ArgumentException.ThrowIfNullOrEmpty(specialToken);
        if (vocabSize < 257) throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, "A byte-level vocabulary needs at least 256 bytes + 1 special token.");
        ArgumentOutOfRangeException.ThrowIfNegative(specialId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(specialId, vocabSize);

        var bytes = Enumerable.Range(32, 95).Concat(Enumerable.Range(0, 32)).Concat(Enumerable.Range(127, 129))
            .Select(b => ByteLevel.ToChar((byte)b).ToString()).ToArray(); // (256) printable ASCII first
        var tokens = new List<string>(vocabSize - 1);
        tokens.AddRange(ByteOrder());
        var merges = new List<(string Left, string Right)>(vocabSize - 257);
        for (int prefix = 0; tokens.Count < vocabSize - 1; prefix++)
        {
            string left = prefix < 256 ? bytes[prefix] : tokens[prefix];
            for (int b = 0; b < bytes.Length && tokens.Count < vocabSize - 1; b++)
            {
                tokens.Add(left + bytes[b]);
                merges.Add((left, bytes[b]));
            }
        }
        var symbols = new List<string>(vocabSize);
        symbols.AddRange(tokens.Take(specialId));
        symbols.Add(specialToken);
        symbols.AddRange(tokens.Skip(specialId));
        var json = BuildJson(symbols, [specialId], merges, splitPattern: null);
        return new BpeTokenizer(json, "<synthetic>")
        {
            Config = new TokenizerConfig { BosToken = specialToken, EosToken = specialToken, PadToken = specialToken, AddBosToken = false },
        };
    }

    // The 256 byte symbols in byte order (their ids 0..255, shifted by one past the special token).
    private static IEnumerable<string> ByteOrder()
    {
        for (int b = 0; b < 256; b++) yield return ByteLevel.ToChar((byte)b).ToString();
    }
}
