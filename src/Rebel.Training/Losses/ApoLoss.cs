// A*-PO (Brantley, Chen, Gao, Sun et al. 2025, arXiv 2505.20686): stage 1 estimates the optimal value V*(x) of the KL-regularised
// objective from samples of π_ref; stage 2 regresses β₂·ln π_θ/π_ref of one on-policy sample onto its optimal advantage r − V*(x).
using Rebel.Tensors;

namespace Rebel.Training.Losses;

/// <summary>A*-PO's optimal-value estimate and its regression loss.</summary>
public static class ApoLoss
{
    /// <summary>
    /// V*(x) = β₁·ln( (1/N)·Σ_i exp(r_i/β₁) ) over the rewards r_1 … r_N of N samples of π_ref for one prompt (paper eq. for V̂*),
    /// computed as m + β₁·ln( (1/N)·Σ_i exp((r_i − m)/β₁) ) with m = max_i r_i, so that no exponent overflows however large r/β₁ is.
    /// It lies between the mean reward (β₁ → ∞) and the best reward (β₁ → 0).
    /// </summary>
    public static float OptimalValue(ReadOnlySpan<float> rewards, float beta1)
    {
        if (rewards.Length == 0) throw new ArgumentException("ApoLoss: V* needs at least one reward.");
        if (!(beta1 > 0)) throw new ArgumentException($"ApoLoss: β₁ = {beta1} must be positive.");
        double max = double.NegativeInfinity;
        foreach (var r in rewards) max = Math.Max(max, r);
        double sum = 0;
        foreach (var r in rewards) sum += Math.Exp((r - max) / beta1);
        return (float)(max + beta1 * Math.Log(sum / rewards.Length));
    }

    /// <summary>
    /// L(θ) = mean_i ( β₂·(ln π_θ(y_i|x_i) − ln π_ref(y_i|x_i)) − A*_i )², with A*_i = r(x_i, y_i) − V*(x_i) the optimal advantage.
    /// <paramref name="logProbs"/> (N) is ln π_θ summed over response tokens, with gradient; <paramref name="refLogProbs"/> and
    /// <paramref name="advantages"/> (N) are fixed. The authors' code writes the same square as (β₂·ln π/π_ref + V* − r)².
    /// </summary>
    public static Tensor Compute(Tensor logProbs, ReadOnlySpan<float> refLogProbs, ReadOnlySpan<float> advantages, float beta2)
    {
        int n = logProbs.Size;
        if (logProbs.Rank != 1) throw new ArgumentException($"ApoLoss: log-probs must be a vector (N), got {Tensor.Format(logProbs.Shape)}.");
        if (refLogProbs.Length != n || advantages.Length != n)
            throw new ArgumentException($"ApoLoss: counts differ (log-probs {n}, reference {refLogProbs.Length}, advantages {advantages.Length}).");
        if (!(beta2 > 0)) throw new ArgumentException($"ApoLoss: β₂ = {beta2} must be positive.");
        // β₂·ln π_θ − (β₂·ln π_ref + A*), one fixed shift per sample.
        var shift = new float[n];
        for (int i = 0; i < n; i++) shift[i] = beta2 * refLogProbs[i] + advantages[i];
        var residual = Ops.Sub(Ops.Mul(logProbs, beta2), Tensor.FromArray(shift, n)); // (N)
        return Ops.Mean(Ops.Mul(residual, residual));
    }
}
