// Per-token quantities of rollouts laid out in the right-padded (N, T) batches of SequenceLogProbs.ComputeTokens:
// response token k of sequence i sits at column prompt_i.Length − 1 + k.
using Rebel.Models;
using Rebel.Tensors;

namespace Rebel.Training.Rollouts;

/// <summary>Moves per-token arrays between per-rollout form and flat (N·T) batch form.</summary>
public static class TokenLayout
{
    /// <summary>Flat (N·T) array with <paramref name="perRollout"/>[i][k] at row i, column prompt_i.Length − 1 + k; 0 elsewhere.</summary>
    public static float[] Scatter(IReadOnlyList<Rollout> batch, IReadOnlyList<float[]> perRollout, int time)
    {
        var flat = new float[batch.Count * time];
        for (int i = 0; i < batch.Count; i++)
            perRollout[i].CopyTo(flat.AsSpan(i * time + batch[i].PromptIds.Length - 1));
        return flat;
    }

    /// <summary>The response tokens' entries of row <paramref name="i"/> of a flat (N·T) span.</summary>
    public static float[] Gather(ReadOnlySpan<float> flat, Rollout rollout, int i, int time) =>
        flat.Slice(i * time + rollout.PromptIds.Length - 1, rollout.Completion.Length).ToArray();

    /// <summary>Per-token ln model(y_t | x, y_&lt;t) of each rollout, without gradient, in chunks.</summary>
    public static float[][] TokenLogProbs(LanguageModel model, IReadOnlyList<Rollout> rollouts, float temperature, int chunk = 32) =>
        PerToken(rollouts, chunk, part => SequenceLogProbs.ComputeTokens(model, [.. part.Select(r => r.PromptIds)], [.. part.Select(r => r.Completion)], temperature, out _));

    /// <summary>Per-token values of a critic for each rollout, without gradient, in chunks.</summary>
    public static float[][] Values(LanguageModel body, ValueHead head, IReadOnlyList<Rollout> rollouts, int chunk = 32) =>
        PerToken(rollouts, chunk, part => SequenceLogProbs.Values(body, head, [.. part.Select(r => r.PromptIds)], [.. part.Select(r => r.Completion)]));

    private static float[][] PerToken(IReadOnlyList<Rollout> rollouts, int chunk, Func<List<Rollout>, Tensor> compute)
    {
        var result = new float[rollouts.Count][];
        using var noGrad = Autograd.NoGrad();
        for (int start = 0; start < rollouts.Count; start += chunk)
        {
            var part = rollouts.Skip(start).Take(chunk).ToList();
            using var scope = new TensorScope();
            var t = compute(part); // (n, T)
            int time = t.Shape[1];
            for (int i = 0; i < part.Count; i++) result[start + i] = Gather(t.Span, part[i], i, time);
        }
        return result;
    }
}
