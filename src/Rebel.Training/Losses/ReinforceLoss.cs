// REINFORCE with a baseline (Williams 1992): the score-function gradient with a running mean of past rewards subtracted.
using Rebel.Tensors;

namespace Rebel.Training.Losses;

/// <summary>REINFORCE loss and its running-mean baseline.</summary>
public static class ReinforceLoss
{
    /// <summary>b ← α·b + (1−α)·mean(r); the first batch (<paramref name="baseline"/> null) sets b = mean(r).</summary>
    public static float UpdateBaseline(float? baseline, ReadOnlySpan<float> rewards, float decay)
    {
        double mean = 0;
        foreach (var r in rewards) mean += r;
        mean /= Math.Max(rewards.Length, 1);
        return UpdateBaseline(baseline, mean, decay);
    }

    /// <summary>b ← α·b + (1−α)·<paramref name="meanReward"/>; the first batch (<paramref name="baseline"/> null) sets b = mean reward.</summary>
    public static float UpdateBaseline(float? baseline, double meanReward, float decay) =>
        baseline is { } b ? (float)(decay * b + (1 - decay) * meanReward) : (float)meanReward;

    /// <summary>
    /// L(θ) = −mean_i min(ρ_i·(r_i − b), clip(ρ_i, 1−ε, 1+ε)·(r_i − b)), ρ_i = exp(ln π_θ(y_i|x) − ln π_old(y_i|x)): the score-function
    /// gradient −mean (r − b)·∇ln π_θ at the first step on fresh samples (ρ = 1), importance-weighted and clipped on later steps
    /// (<see cref="RlooLoss.Compute"/> with advantage r − b). <paramref name="logProbs"/> (N) with gradient, b the baseline before this batch.
    /// </summary>
    public static Tensor Compute(Tensor logProbs, ReadOnlySpan<float> oldLogProbs, ReadOnlySpan<float> rewards, float baseline, float clip)
    {
        if (logProbs.Size != rewards.Length) throw new ArgumentException($"ReinforceLoss: {logProbs.Size} log-probs, {rewards.Length} rewards.");
        var adv = new float[rewards.Length];
        for (int i = 0; i < adv.Length; i++) adv[i] = rewards[i] - baseline;
        return RlooLoss.Compute(logProbs, oldLogProbs, adv, clip);
    }
}
