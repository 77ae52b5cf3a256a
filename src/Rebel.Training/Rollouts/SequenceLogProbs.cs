// Summed response log-probs ln π(y|x) = Σ_t ln π(y_t | x, y_<t) for a batch of (prompt, response) token sequences:
// prompt excluded, response tokens up to and including EOS, logits divided by the sampling temperature.
using Rebel.Models;
using Rebel.Tensors;

namespace Rebel.Training.Rollouts;

/// <summary>Batched response log-probabilities under a model.</summary>
public static class SequenceLogProbs
{
    /// <summary>
    /// ln π(response | prompt) per sequence, shape (N), differentiable w.r.t. the model's parameters.
    /// Sequences are right-padded (causal attention never sees the padding). Optionally writes the mean per-token entropy.
    /// </summary>
    public static Tensor Compute(LanguageModel model, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> responses, float temperature,
        Span<float> entropy = default) =>
        Ops.Sum(ComputeTokens(model, prompts, responses, temperature, out _, entropy), 1); // (N)

    /// <summary>
    /// Per-token ln π(y_t | x, y_&lt;t), shape (N, T) with gradient, 0 at positions that are not response tokens; <paramref name="mask"/>
    /// (N·T) is 1 at response tokens. Response token k of sequence i sits at column prompt_i.Length − 1 + k.
    /// </summary>
    public static Tensor ComputeTokens(LanguageModel model, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> responses, float temperature,
        out float[] mask, Span<float> entropy = default)
    {
        var (ids, targets, n, time) = Layout(prompts, responses);
        var hidden = model.ForwardHidden(ids, n, time); // (N, T, C); the head runs in chunks of rows, never on all (N, T, V) logits
        var rowEntropy = entropy.IsEmpty ? [] : new float[n * time]; // (N·T)
        var logp = model.TokenLogProbs(hidden, targets, temperature, rowEntropy); // (N, T), 0 at ignored positions
        if (!entropy.IsEmpty) MeanEntropy(rowEntropy, targets, entropy);
        mask = [.. targets.Select(t => t == -100 ? 0f : 1f)];
        return logp;
    }

    /// <summary>Per-position values V(x, y_&lt;t) of a critic (body + head), shape (N, T), aligned with <see cref="ComputeTokens"/>.</summary>
    public static Tensor Values(LanguageModel body, ValueHead head, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> responses)
    {
        var (ids, _, n, time) = Layout(prompts, responses);
        return head.Score(body.ForwardHidden(ids, n, time)); // (N, T)
    }

    // Right-padded input ids (N·T) and next-token targets (−100 outside the response).
    private static (int[] Ids, int[] Targets, int N, int Time) Layout(IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> responses)
    {
        int n = prompts.Count;
        if (responses.Count != n) throw new ArgumentException($"SequenceLogProbs: {n} prompts but {responses.Count} responses.");
        int time = 1;
        for (int i = 0; i < n; i++) time = Math.Max(time, prompts[i].Length + responses[i].Length - 1);
        var ids = new int[n * time];
        var targets = new int[n * time];
        Array.Fill(targets, -100);
        for (int i = 0; i < n; i++)
        {
            var p = prompts[i]; var r = responses[i];
            if (p.Length == 0) throw new ArgumentException($"SequenceLogProbs: prompt {i} is empty.");
            int len = p.Length + r.Length - 1;
            for (int t = 0; t < len; t++)
            {
                ids[i * time + t] = t < p.Length ? p[t] : r[t - p.Length];
                if (t >= p.Length - 1) targets[i * time + t] = r[t - p.Length + 1];
            }
        }
        return (ids, targets, n, time);
    }

    // Mean over each sequence's response positions of the per-row entropies (nats) of the temperature-scaled distribution.
    private static void MeanEntropy(float[] rowEntropy, int[] targets, Span<float> entropy)
    {
        int time = targets.Length / entropy.Length;
        for (int i = 0; i < entropy.Length; i++)
        {
            double sum = 0; int count = 0;
            for (int t = 0; t < time; t++)
            {
                if (targets[i * time + t] == -100) continue;
                sum += rowEntropy[i * time + t];
                count++;
            }
            entropy[i] = count == 0 ? 0 : (float)(sum / count);
        }
    }
}
