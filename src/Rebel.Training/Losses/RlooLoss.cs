// REINFORCE Leave-One-Out (Kool et al. 2019; Ahmadian et al. 2024): k samples per prompt, each baselined by the mean of the other k−1,
// trained with TRL's sequence-level clipped importance ratio so that steps after the first on a batch stay unbiased.
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

    /// <summary>
    /// L(θ) = −mean_i min(ρ_i·A_i, clip(ρ_i, 1−ε, 1+ε)·A_i) with the sequence-level ratio ρ_i = exp(ln π_θ(y_i|x) − ln π_old(y_i|x))
    /// (TRL's RLOO): at the first step on fresh samples ρ = 1 and the gradient is −mean A·∇ln π_θ, REINFORCE's; later steps on the same
    /// samples are importance-weighted and clipped as PPO's. <paramref name="logProbs"/> (N) summed over response tokens, with gradient;
    /// <paramref name="oldLogProbs"/> (N) ln π_t at sampling time.
    /// </summary>
    public static Tensor Compute(Tensor logProbs, ReadOnlySpan<float> oldLogProbs, ReadOnlySpan<float> advantages, float clip)
    {
        if (logProbs.Rank != 1 || logProbs.Size != advantages.Length || oldLogProbs.Length != advantages.Length)
            throw new ArgumentException($"RlooLoss: {Tensor.Format(logProbs.Shape)} log-probs, {oldLogProbs.Length} old log-probs, {advantages.Length} advantages.");
        var everySequence = new float[advantages.Length];
        everySequence.AsSpan().Fill(1f);
        return PpoLoss.Policy(logProbs, oldLogProbs, advantages, everySequence, clip);
    }
}
