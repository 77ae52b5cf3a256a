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
        Span<float> entropy = default)
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
        var logits = model.Forward(ids, n, time); // (N, T, V)
        if (!entropy.IsEmpty) MeanEntropy(logits, targets, temperature, entropy);
        var tokenLogp = Ops.GatherLogProbs(logits, targets, temperature); // (N, T), 0 at ignored positions
        return Ops.Sum(tokenLogp, 1); // (N)
    }

    // Mean entropy (nats) of the temperature-scaled next-token distribution over each sequence's response positions.
    private static void MeanEntropy(Tensor logits, int[] targets, float temperature, Span<float> entropy)
    {
        int v = logits.Shape[^1], rows = targets.Length, time = rows / entropy.Length;
        var x = logits.Span;
        var p = new float[v];
        for (int i = 0; i < entropy.Length; i++)
        {
            double sum = 0; int count = 0;
            for (int t = 0; t < time; t++)
            {
                int r = i * time + t;
                if (targets[r] == -100) continue;
                var row = x.Slice(r * v, v);
                for (int k = 0; k < v; k++) p[k] = row[k] / temperature;
                Ops.LogSoftmaxRow(p, p);
                double h = 0;
                for (int k = 0; k < v; k++) h -= Math.Exp(p[k]) * p[k];
                sum += h; count++;
            }
            entropy[i] = count == 0 ? 0 : (float)(sum / count);
        }
    }
}
