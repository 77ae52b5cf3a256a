// GRPO (Shao et al. 2024, DeepSeekMath): group-normalised advantages, PPO's clipped ratio per token, and the k3 KL estimator to π_ref.
using Rebel.Tensors;

namespace Rebel.Training.Losses;

/// <summary>GRPO advantages, k3 KL and loss.</summary>
public static class GrpoLoss
{
    /// <summary>A_i = (r_i − mean_g r)/(std_g r + ε) within each group of <paramref name="groupSize"/> consecutive rewards (std with n−1, as torch.std).</summary>
    public static void Advantages(ReadOnlySpan<float> rewards, int groupSize, Span<float> advantages, float epsilon = 1e-4f)
    {
        if (groupSize < 2 || rewards.Length % groupSize != 0 || advantages.Length != rewards.Length)
            throw new ArgumentException($"GrpoLoss: {rewards.Length} rewards do not form groups of {groupSize} ≥ 2.");
        for (int g = 0; g < rewards.Length; g += groupSize)
        {
            double mean = 0, sq = 0;
            for (int i = 0; i < groupSize; i++) mean += rewards[g + i];
            mean /= groupSize;
            for (int i = 0; i < groupSize; i++) sq += (rewards[g + i] - mean) * (rewards[g + i] - mean);
            double std = Math.Sqrt(sq / (groupSize - 1));
            for (int i = 0; i < groupSize; i++) advantages[g + i] = (float)((rewards[g + i] - mean) / (std + epsilon));
        }
    }

    /// <summary>k3 estimator of KL(π_θ‖π_ref) per token: exp(ln π_ref − ln π_θ) − (ln π_ref − ln π_θ) − 1 (≥ 0, unbiased, Schulman 2020).</summary>
    public static Tensor KlK3(Tensor logProbs, ReadOnlySpan<float> refLogProbs)
    {
        var d = Ops.Sub(Tensor.FromArray(refLogProbs.ToArray(), logProbs.Shape.ToArray()), logProbs); // ln π_ref − ln π_θ
        return Ops.Sub(Ops.Sub(Ops.Exp(d), d), 1f);
    }

    /// <summary>
    /// L(θ) = −mean_masked t [ min(ρ_t·A, clip(ρ_t, 1−ε, 1+ε)·A) − β·k3_t ], ρ_t = exp(ln π_θ(y_t) − ln π_old(y_t)), A the sequence's
    /// group-normalised advantage broadcast over its tokens. <paramref name="logProbs"/> (N, T) has gradient; <paramref name="oldLogProbs"/>,
    /// <paramref name="refLogProbs"/>, <paramref name="mask"/> are flat (N·T) and <paramref name="advantages"/> is (N).
    /// </summary>
    public static Tensor Compute(Tensor logProbs, ReadOnlySpan<float> oldLogProbs, ReadOnlySpan<float> refLogProbs, ReadOnlySpan<float> advantages,
        ReadOnlySpan<float> mask, float clip, float beta)
    {
        int n = logProbs.Shape[0], time = logProbs.Size / Math.Max(n, 1);
        if (advantages.Length != n || oldLogProbs.Length != logProbs.Size || refLogProbs.Length != logProbs.Size || mask.Length != logProbs.Size)
            throw new ArgumentException($"GrpoLoss: sizes differ (log-probs {Tensor.Format(logProbs.Shape)}, advantages {advantages.Length}, old {oldLogProbs.Length}, ref {refLogProbs.Length}, mask {mask.Length}).");
        int[] shape = logProbs.Shape.ToArray();
        var tokenAdv = new float[logProbs.Size];
        for (int i = 0; i < n; i++) tokenAdv.AsSpan(i * time, time).Fill(advantages[i]);
        var adv = Tensor.FromArray(tokenAdv, shape);
        var ratio = Ops.Exp(Ops.Sub(logProbs, Tensor.FromArray(oldLogProbs.ToArray(), shape))); // (N, T)
        var surrogate = PpoLoss.Minimum(Ops.Mul(ratio, adv), Ops.Mul(Ops.Clamp(ratio, 1 - clip, 1 + clip), adv));
        var perToken = Ops.Sub(surrogate, Ops.Mul(KlK3(logProbs, refLogProbs), beta));
        return Ops.Neg(Losses.Advantages.MaskedMean(perToken, mask));
    }
}
