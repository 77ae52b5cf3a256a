// What trainers need from a tokenizer: text to ids and back, and the special ids.
namespace Rebel.Models.Tokenization;

/// <summary>Text ↔ token ids.</summary>
public interface ITokenizer
{
    /// <summary>Number of ids.</summary>
    int VocabSize { get; }

    /// <summary>End-of-sequence id, if the tokenizer has one.</summary>
    int? EosTokenId { get; }

    /// <summary>Token ids of <paramref name="text"/>; special tokens (BOS) are added when configured and requested.</summary>
    int[] Encode(string text, bool addSpecialTokens = true);

    /// <summary>Text of <paramref name="ids"/>.</summary>
    string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false);
}
