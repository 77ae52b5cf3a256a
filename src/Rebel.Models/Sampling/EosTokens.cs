// Which tokens end a completion: the model's own list (config.json / generation_config.json), else its tokenizer's EOS token.
using Rebel.Models.Tokenization;

namespace Rebel.Models.Sampling;

/// <summary>The one rule for a model's end-of-sequence tokens.</summary>
public static class EosTokens
{
    /// <summary>The model's EOS ids if it names any, else the tokenizer's EOS token, else none (empty).</summary>
    public static int[] Of(ModelConfig config, ITokenizer tokenizer) =>
        config.EosTokenIds.Length > 0 ? config.EosTokenIds : tokenizer.EosTokenId is { } eos ? [eos] : [];
}
