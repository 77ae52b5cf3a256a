// REBEL's objective (Gao et al. 2024, eq. in Algorithm 1): regress the difference of log-ratios onto the difference of rewards.
using Rebel.Tensors;

namespace Rebel.Training.Losses;

/// <summary>The REBEL regression loss and its pieces.</summary>
public static class RebelLoss
{
    /// <summary>
    /// L(θ) = mean over pairs of ( (1/η)·[ (ln π_θ(y|x) − ln π_t(y|x)) − (ln π_θ(y'|x) − ln π_t(y'|x)) ] − target )²,
    /// where target = r(x,y) − r(x,y') (or P(y ≻ y'|x) − ½ for preferences).
    /// <paramref name="logProbY"/> and <paramref name="logProbOther"/> (P) are ln π_θ summed over response tokens, with gradient;
    /// <paramref name="oldLogProbY"/>, <paramref name="oldLogProbOther"/> are ln π_t (fixed); η is the paper's step size.
    /// The minimiser equals that of (Δlogratio − η·target)²; the authors' code names the reciprocal 1/η "eta".
    /// </summary>
    public static Tensor Compute(Tensor logProbY, Tensor logProbOther, ReadOnlySpan<float> oldLogProbY, ReadOnlySpan<float> oldLogProbOther,
        ReadOnlySpan<float> target, float eta) =>
        FromResidual(Residual(logProbY, logProbOther, oldLogProbY, oldLogProbOther, target, eta));

    /// <summary>The loss from per-pair residuals: mean of their squares.</summary>
    public static Tensor FromResidual(Tensor residual) => Ops.Mean(Ops.Mul(residual, residual));

    /// <summary>The per-pair residual (1/η)·Δlogratio − target, shape (P).</summary>
    public static Tensor Residual(Tensor logProbY, Tensor logProbOther, ReadOnlySpan<float> oldLogProbY, ReadOnlySpan<float> oldLogProbOther,
        ReadOnlySpan<float> target, float eta)
    {
        int n = logProbY.Size;
        if (logProbY.Rank != 1 || logProbOther.Rank != 1)
            throw new ArgumentException($"RebelLoss: log-probs must be vectors (P), got {Tensor.Format(logProbY.Shape)} and {Tensor.Format(logProbOther.Shape)}.");
        if (logProbOther.Size != n || oldLogProbY.Length != n || oldLogProbOther.Length != n || target.Length != n)
            throw new ArgumentException($"RebelLoss: pair counts differ (y {n}, y' {logProbOther.Size}, old {oldLogProbY.Length}/{oldLogProbOther.Length}, target {target.Length}).");
        if (!(eta > 0)) throw new ArgumentException($"RebelLoss: η = {eta} must be positive.");
        var oldDiff = new float[n];
        var tgt = new float[n];
        for (int i = 0; i < n; i++)
        {
            oldDiff[i] = oldLogProbY[i] - oldLogProbOther[i];
            tgt[i] = target[i];
        }
        var deltaLogRatio = Ops.Sub(Ops.Sub(logProbY, logProbOther), Tensor.FromArray(oldDiff, n)); // (P)
        return Ops.Sub(Ops.Mul(deltaLogRatio, 1f / eta), Tensor.FromArray(tgt, n));
    }
}
