// Scoring sampled completions without gradient (the π_t and π_ref passes of RL trainers) with the prompts shared the way
// generation shares them: every distinct prompt's tokens but the last run once into a key/value cache that the rows
// repeating it copy, then each row runs its last prompt token and its completion against that cache.
using Rebel.Tensors;

namespace Rebel.Models.Sampling;

public static partial class Sampler
{
    /// <summary>
    /// ln π(completion | prompt) per pair, summed over the completion's tokens under logits divided by
    /// <paramref name="temperature"/>, without gradient. Pairs whose prompts are equal share one prefill of the prompt; the
    /// result equals scoring each whole sequence on its own up to float rounding (the prefill takes other GEMM shapes).
    /// Prompts need at least one token; completions may be empty (log-prob 0).
    /// </summary>
    public static float[] CompletionLogProbs(LanguageModel model, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> completions, float temperature = 1f)
    {
        ArgumentNullException.ThrowIfNull(model);
        int n = prompts.Count;
        if (completions.Count != n) throw new ArgumentException($"CompletionLogProbs: {n} prompts but {completions.Count} completions.");
        if (prompts.Any(p => p.Length == 0)) throw new ArgumentException("CompletionLogProbs: every prompt needs at least one token.");
        var result = new float[n];
        int time = completions.Count == 0 ? 0 : completions.Max(c => c.Length);
        if (time == 0) return result;
        var prefixes = prompts.Select(p => p[..^1]).ToArray();
        int maxPrefix = prefixes.Max(p => p.Length);
        var eos = model.Config.EosTokenIds;
        int pad = model.Config.PadTokenId ?? eos.FirstOrDefault(id => (uint)id < (uint)model.Config.VocabSize);
        using var noGrad = Autograd.NoGrad();
        using var scope = new TensorScope();
        var cache = model.CreateCache(n, maxPrefix + time);
        var keyStart = new int[n];
        for (int b = 0; b < n; b++) keyStart[b] = maxPrefix - prefixes[b].Length;
        if (maxPrefix > 0)
        {
            if (prefixes.Any(p => p.Length == 0)) return Unshared(model, prompts, completions, temperature);
            PrefillHidden(model, prefixes, DistinctRows(prefixes), maxPrefix, pad, cache);
        }
        // row b: its last prompt token, then its completion but the last token (right-padded); targets: the completion
        var ids = new int[n * time];
        var targets = new int[n * time];
        Array.Fill(ids, pad);
        Array.Fill(targets, -100);
        for (int b = 0; b < n; b++)
        {
            var c = completions[b];
            if (c.Length == 0) continue;
            ids[b * time] = prompts[b][^1];
            c.AsSpan(0, c.Length - 1).CopyTo(ids.AsSpan(b * time + 1));
            c.CopyTo(targets.AsSpan(b * time));
        }
        var hidden = model.ForwardHidden(ids, n, time, keyStart, cache); // (n, time, C)
        var logp = model.TokenLogProbs(hidden, targets, temperature > 0 ? temperature : 1f).Span; // (n, time), 0 off the completion
        for (int b = 0; b < n; b++)
        {
            double sum = 0;
            for (int t = 0; t < completions[b].Length; t++) sum += logp[b * time + t];
            result[b] = (float)sum;
        }
        return result;
    }

    // One-token prompts leave an empty prefix, which a shared prefill cannot left-pad: score every whole sequence instead.
    private static float[] Unshared(LanguageModel model, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> completions, float temperature)
    {
        var result = new float[prompts.Count];
        for (int b = 0; b < prompts.Count; b++)
            result[b] = CompletionLogProbs(model, [prompts[b]], [completions[b]], temperature)[0];
        return result;
    }
}
