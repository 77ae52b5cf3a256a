// REINFORCE Leave-One-Out (Kool et al. 2019; Ahmadian et al. 2024): k samples per prompt, each baselined by the mean of the other k−1.
using Rebel.Tensors;

namespace Rebel.Training.Losses;

/// <summary>RLOO advantages and loss on sequence log-probs.</summary>
public static class RlooLoss
{
    /// <summary>A_i = r_i − (1/(k−1))·Σ_{j≠i} r_j within each group of <paramref name="k"/> consecutive rewards.</summary>
    public static void Advantages(ReadOnlySpan<float> rewards, int k, Span<float> advantages)
    {
        if (k < 2 || rewards.Length % k != 0 || advantages.Length != rewards.Length)
            throw new ArgumentException($"RlooLoss: {rewards.Length} rewards do not form groups of k = {k} ≥ 2.");
        for (int g = 0; g < rewards.Length; g += k)
        {
            double sum = 0;
            for (int i = 0; i < k; i++) sum += rewards[g + i];
            for (int i = 0; i < k; i++) advantages[g + i] = (float)(rewards[g + i] - (sum - rewards[g + i]) / (k - 1));
        }
    }

    /// <summary>L(θ) = −mean_i A_i·ln π_θ(y_i|x); <paramref name="logProbs"/> (N) summed over response tokens, with gradient.</summary>
    public static Tensor Compute(Tensor logProbs, ReadOnlySpan<float> advantages)
    {
        if (logProbs.Size != advantages.Length) throw new ArgumentException($"RlooLoss: {logProbs.Size} log-probs, {advantages.Length} advantages.");
        return Ops.Neg(Ops.Mean(Ops.Mul(logProbs, Tensor.FromArray(advantages.ToArray(), logProbs.Size))));
    }
}
