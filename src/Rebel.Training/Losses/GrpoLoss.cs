// GRPO (Shao et al. 2024, DeepSeekMath) as TRL's GRPOTrainer defines it: group-relative advantages (scaled by the group's std, the
// batch's, or not at all), PPO's clipped ratio per token with an optional higher upper clip (DAPO), an optional k3 KL to π_ref, and
// four ways to average the per-token losses (TRL's loss_type).
using Rebel.Tensors;

namespace Rebel.Training.Losses;

/// <summary>How GRPO's advantages are scaled after subtracting the group mean (TRL GRPOConfig scale_rewards).</summary>
public enum RewardScaling
{
    /// <summary>Divide by the group's standard deviation (the GRPO paper; TRL's default).</summary>
    Group,
    /// <summary>Divide by the whole batch's standard deviation (PPO-Lite).</summary>
    Batch,
    /// <summary>No scaling (Dr. GRPO: the std scaling biases toward too easy and too hard prompts).</summary>
    None,
}

/// <summary>How GRPO's per-token losses become one number (TRL GRPOConfig loss_type).</summary>
public enum GrpoLossType
{
    /// <summary>Mean over each sequence's tokens, then over sequences (the GRPO paper; favours short answers).</summary>
    Grpo,
    /// <summary>Sum over tokens divided by sequences × the most new tokens, a constant (Dr. GRPO).</summary>
    DrGrpo,
    /// <summary>Sum over tokens divided by the tokens of the whole optimizer step's batch, over all processes (DAPO; TRL's default).</summary>
    Dapo,
    /// <summary>Sum over tokens divided by this process's tokens in the minibatch.</summary>
    Bnpo,
}

/// <summary>GRPO advantages, k3 KL, per-token loss and its aggregations.</summary>
public static class GrpoLoss
{
    /// <summary>
    /// A_i = (r_i − mean_g r)/(s + ε) within each group of <paramref name="groupSize"/> consecutive rewards, where s is the group's std
    /// (<see cref="RewardScaling.Group"/>), <paramref name="batchStd"/> (<see cref="RewardScaling.Batch"/>; null: the std of all
    /// <paramref name="rewards"/>), or s + ε = 1 (<see cref="RewardScaling.None"/>). Stds use n−1, as torch.std.
    /// </summary>
    public static void Advantages(ReadOnlySpan<float> rewards, int groupSize, Span<float> advantages, RewardScaling scaling = RewardScaling.Group,
        float epsilon = 1e-4f, double? batchStd = null)
    {
        if (groupSize < 2 || rewards.Length % groupSize != 0 || advantages.Length != rewards.Length)
            throw new ArgumentException($"GrpoLoss: {rewards.Length} rewards do not form groups of {groupSize} ≥ 2.");
        double batch = scaling == RewardScaling.Batch ? batchStd ?? Std(rewards) : 0;
        for (int g = 0; g < rewards.Length; g += groupSize)
        {
            var group = rewards.Slice(g, groupSize);
            double mean = Mean(group);
            double scale = scaling switch
            {
                RewardScaling.Group => Std(group) + epsilon,
                RewardScaling.Batch => batch + epsilon,
                _ => 1,
            };
            for (int i = 0; i < groupSize; i++) advantages[g + i] = (float)((group[i] - mean) / scale);
        }
    }

    /// <summary>Sample standard deviation (n−1) of <paramref name="values"/>, 0 for fewer than two.</summary>
    public static double Std(ReadOnlySpan<float> values)
    {
        if (values.Length < 2) return 0;
        double mean = Mean(values), sq = 0;
        foreach (var v in values) sq += (v - mean) * (v - mean);
        return Math.Sqrt(sq / (values.Length - 1));
    }

    private static double Mean(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (var v in values) sum += v;
        return sum / Math.Max(values.Length, 1);
    }

    /// <summary>k3 estimator of KL(π_θ‖π_ref) per token: exp(ln π_ref − ln π_θ) − (ln π_ref − ln π_θ) − 1 (≥ 0, unbiased, Schulman 2020).</summary>
    public static Tensor KlK3(Tensor logProbs, ReadOnlySpan<float> refLogProbs)
    {
        var d = Ops.Sub(Tensor.FromArray(refLogProbs.ToArray(), logProbs.Shape.ToArray()), logProbs); // ln π_ref − ln π_θ
        return Ops.Sub(Ops.Sub(Ops.Exp(d), d), 1f);
    }

    /// <summary>
    /// ℓ_t = −min(ρ_t·A, clip(ρ_t, 1−ε_low, 1+ε_high)·A) + β·k3_t per token, shape (N, T), ρ_t = exp(ln π_θ(y_t) − ln π_old(y_t)), A the
    /// sequence's advantage broadcast over its tokens. <paramref name="logProbs"/> (N, T) has gradient; <paramref name="oldLogProbs"/> is flat
    /// (N·T); <paramref name="refLogProbs"/> (N·T) may be empty when β = 0 (no reference needed); <paramref name="advantages"/> is (N).
    /// </summary>
    public static Tensor PerToken(Tensor logProbs, ReadOnlySpan<float> oldLogProbs, ReadOnlySpan<float> refLogProbs, ReadOnlySpan<float> advantages,
        float clipLow, float clipHigh, float beta)
    {
        int n = logProbs.Shape[0], time = logProbs.Size / Math.Max(n, 1);
        if (advantages.Length != n || oldLogProbs.Length != logProbs.Size || (beta != 0 && refLogProbs.Length != logProbs.Size))
            throw new ArgumentException($"GrpoLoss: sizes differ (log-probs {Tensor.Format(logProbs.Shape)}, advantages {advantages.Length}, old {oldLogProbs.Length}, ref {refLogProbs.Length}).");
        int[] shape = logProbs.Shape.ToArray();
        var tokenAdv = new float[logProbs.Size];
        for (int i = 0; i < n; i++) tokenAdv.AsSpan(i * time, time).Fill(advantages[i]);
        var adv = Tensor.FromArray(tokenAdv, shape);
        var ratio = Ops.Exp(Ops.Sub(logProbs, Tensor.FromArray(oldLogProbs.ToArray(), shape))); // (N, T)
        var loss = Ops.Neg(PpoLoss.Minimum(Ops.Mul(ratio, adv), Ops.Mul(Ops.Clamp(ratio, 1 - clipLow, 1 + clipHigh), adv))); // (N, T)
        return beta == 0 ? loss : Ops.Add(loss, Ops.Mul(KlK3(logProbs, refLogProbs), beta));
    }

    /// <summary>TRL's "grpo": mean over sequences of Σ_t m_t·ℓ_t / max(Σ_t m_t, 1); <paramref name="perToken"/> (N, T), <paramref name="mask"/> (N·T).</summary>
    public static Tensor SequenceMean(Tensor perToken, ReadOnlySpan<float> mask)
    {
        int n = perToken.Shape[0], time = perToken.Size / Math.Max(n, 1);
        var weights = new float[perToken.Size]; // m_t / max(Σ_t m_t, 1) / N
        for (int i = 0; i < n; i++)
        {
            float count = 0;
            for (int t = 0; t < time; t++) count += mask[i * time + t];
            for (int t = 0; t < time; t++) weights[i * time + t] = mask[i * time + t] / Math.Max(count, 1f) / n;
        }
        return Ops.Sum(Ops.Mul(perToken, Tensor.FromArray(weights, perToken.Shape.ToArray())));
    }

    /// <summary>
    /// Σ m·ℓ / <paramref name="denominator"/>: TRL's "bnpo" with the minibatch's masked tokens, "dapo" with the optimizer step's tokens over
    /// all processes, "dr_grpo" with N × the most new tokens.
    /// </summary>
    public static Tensor MaskedSum(Tensor perToken, ReadOnlySpan<float> mask, float denominator)
    {
        if (mask.Length != perToken.Size) throw new ArgumentException($"GrpoLoss: mask has {mask.Length} entries for {perToken.Size} tokens.");
        return Ops.Mul(Ops.Sum(Ops.Mul(perToken, Tensor.FromArray(mask.ToArray(), perToken.Shape.ToArray()))), 1f / Math.Max(denominator, 1f));
    }
}
