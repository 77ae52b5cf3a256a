// Generation lengths that fit the model: the longest prompt plus the new tokens must fit the model's context. Checked before any
// work starts, with the fix in the error; when the user named no length, the default is shortened to what the context leaves.
using Rebel.Models;
using Rebel.Models.Sampling;
using Rebel.Models.Tokenization;

namespace Rebel.Training.Data;

/// <summary>The most new tokens a model's context leaves after a set of prompts.</summary>
public static class ContextBudget
{
    /// <summary>
    /// The new tokens to generate after <paramref name="prompts"/>: <paramref name="requested"/> when given and it fits beside the longest
    /// prompt, else (not given) <paramref name="fallback"/> shortened to what the context leaves. Throws ArgumentException naming the longest
    /// prompt's source, its length, <paramref name="flag"/> and the value that would fit.
    /// </summary>
    public static int MaxNewTokens(ModelConfig config, ITokenizer tokenizer, IEnumerable<PromptRecord> prompts, int? requested, int fallback, string flag)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var (longest, source) = (0, "");
        foreach (var p in prompts)
        {
            int n = p.Encode(tokenizer).Length;
            if (n > longest) (longest, source) = (n, p.Source);
        }
        return MaxNewTokens(config, longest, $"the longest prompt ({source})", requested, fallback, flag);
    }

    /// <summary>
    /// As <see cref="MaxNewTokens(ModelConfig, ITokenizer, IEnumerable{PromptRecord}, int?, int, string)"/> for one prompt of
    /// <paramref name="promptTokens"/> tokens, called <paramref name="what"/> in the error.
    /// </summary>
    public static int MaxNewTokens(ModelConfig config, int promptTokens, string what, int? requested, int fallback, string flag)
    {
        ArgumentNullException.ThrowIfNull(config);
        int limit = Sampler.ContextLimit(config);
        if (limit == int.MaxValue) return requested ?? fallback;
        int room = limit - promptTokens;
        if (room < 1)
            throw new ArgumentException($"{what} is {promptTokens} tokens, which fills the model's context of {limit} tokens and leaves no room for a completion: shorten it to fewer than {limit} tokens.");
        if (requested is { } r && r > room)
            throw new ArgumentException($"{what} is {promptTokens} tokens; with {flag} {r} it exceeds the model's context of {limit} tokens: pass {flag} {room} or less, or shorten the prompt.");
        return requested ?? Math.Min(fallback, room);
    }
}
