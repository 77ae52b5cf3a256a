// REBEL's objective (Gao et al. 2024, Algorithm 1): regress the difference of log-ratios onto η times the difference of rewards,
// at the scale of the authors' code (src/tldr/rebel.py: reg_diff = ratio_logprob − eta·(chosen_reward − reject_reward)).
using Rebel.Tensors;

namespace Rebel.Training.Losses;

/// <summary>The REBEL regression loss and its pieces.</summary>
public static class RebelLoss
{
    /// <summary>
    /// L(θ) = mean over pairs of ( [ (ln π_θ(y|x) − ln π_t(y|x)) − (ln π_θ(y'|x) − ln π_t(y'|x)) ] − η·target )²,
    /// where target = r(x,y) − r(x,y') (or P(y ≻ y'|x) − ½ for preferences).
    /// <paramref name="logProbY"/> and <paramref name="logProbOther"/> (P) are ln π_θ summed over response tokens, with gradient;
    /// <paramref name="oldLogProbY"/>, <paramref name="oldLogProbOther"/> are ln π_t (fixed); η is the paper's step size, which the
    /// authors' code also calls eta. This is η² times the paper's form ((1/η)·Δlogratio − target)²: the same minimiser, but gradients
    /// that do not shrink as η grows (at η = 1e6 the paper's form would put them 1e-12 lower, under AdamW's ε).
    /// </summary>
    public static Tensor Compute(Tensor logProbY, Tensor logProbOther, ReadOnlySpan<float> oldLogProbY, ReadOnlySpan<float> oldLogProbOther,
        ReadOnlySpan<float> target, float eta) =>
        FromResidual(Residual(logProbY, logProbOther, oldLogProbY, oldLogProbOther, target, eta));

    /// <summary>The loss from per-pair residuals: mean of their squares.</summary>
    public static Tensor FromResidual(Tensor residual) => Ops.Mean(Ops.Mul(residual, residual));

    /// <summary>The per-pair residual Δlogratio − η·target, shape (P).</summary>
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
            tgt[i] = eta * target[i];
        }
        var deltaLogRatio = Ops.Sub(Ops.Sub(logProbY, logProbOther), Tensor.FromArray(oldDiff, n)); // (P)
        return Ops.Sub(deltaLogRatio, Tensor.FromArray(tgt, n));
    }

    /// <summary>
    /// The same loss over whole groups of completions of one prompt, all pairs at once: with e_i = (ln π_θ − ln π_t)(y_i) − η·r_i,
    /// the mean over every pair i &lt; j of a group of (e_i − e_j)² equals 2n/(n−1) times the mean of (e_i − ē)², where ē is the
    /// group's mean. So each completion's log-prob is computed once instead of once per pair it belongs to (n − 1 times).
    /// <paramref name="logProb"/> (G·n) holds groups one after another; returns the loss (mean over pairs, as <see cref="Compute"/>)
    /// and the centred residuals e_i − ē, shape (G, n).
    /// </summary>
    public static (Tensor Loss, Tensor Centred) Grouped(Tensor logProb, ReadOnlySpan<float> oldLogProb, ReadOnlySpan<float> target, int groupSize, float eta)
    {
        int n = logProb.Size;
        if (logProb.Rank != 1) throw new ArgumentException($"RebelLoss: log-probs must be a vector (G·n), got {Tensor.Format(logProb.Shape)}.");
        if (groupSize < 2 || n % groupSize != 0) throw new ArgumentException($"RebelLoss: {n} completions do not split into groups of {groupSize} (at least 2).");
        if (oldLogProb.Length != n || target.Length != n) throw new ArgumentException($"RebelLoss: counts differ (log-probs {n}, old {oldLogProb.Length}, target {target.Length}).");
        if (!(eta > 0)) throw new ArgumentException($"RebelLoss: η = {eta} must be positive.");
        var shift = new float[n];
        for (int i = 0; i < n; i++) shift[i] = oldLogProb[i] + eta * target[i];
        var e = Ops.Reshape(Ops.Sub(logProb, Tensor.FromArray(shift, n)), n / groupSize, groupSize); // (G, n)
        var centred = Ops.Sub(e, Ops.Mean(e, 1, keepDim: true));                                                         // (G, n)
        return (Ops.Mul(Ops.Mean(Ops.Mul(centred, centred)), 2f * groupSize / (groupSize - 1)), centred);
    }
}
