// Direct Preference Optimization (Rafailov et al. 2023): a logistic loss on the difference of the implicit rewards β·ln π_θ/π_ref.
using Rebel.Tensors;

namespace Rebel.Training.Losses;

/// <summary>The DPO sigmoid loss.</summary>
public static class DpoLoss
{
    /// <summary>
    /// L(θ) = −mean log σ(β·[(ln π_θ(y_w) − ln π_ref(y_w)) − (ln π_θ(y_l) − ln π_ref(y_l))]).
    /// <paramref name="chosen"/>, <paramref name="rejected"/> (P) are ln π_θ summed over response tokens, with gradient; the reference log-probs are fixed.
    /// </summary>
    public static Tensor Compute(Tensor chosen, Tensor rejected, ReadOnlySpan<float> refChosen, ReadOnlySpan<float> refRejected, float beta) =>
        Ops.Neg(Ops.Mean(Ops.LogSigmoid(Margin(chosen, rejected, refChosen, refRejected, beta))));

    /// <summary>z = β·[(ln π_θ(y_w) − ln π_ref(y_w)) − (ln π_θ(y_l) − ln π_ref(y_l))] per pair, shape (P).</summary>
    public static Tensor Margin(Tensor chosen, Tensor rejected, ReadOnlySpan<float> refChosen, ReadOnlySpan<float> refRejected, float beta)
    {
        int n = chosen.Size;
        if (rejected.Size != n || refChosen.Length != n || refRejected.Length != n)
            throw new ArgumentException($"DpoLoss: pair counts differ (chosen {n}, rejected {rejected.Size}, ref {refChosen.Length}/{refRejected.Length}).");
        var refDiff = new float[n];
        for (int i = 0; i < n; i++) refDiff[i] = refChosen[i] - refRejected[i];
        return Ops.Mul(Ops.Sub(Ops.Sub(chosen, rejected), Tensor.FromArray(refDiff, n)), beta);
    }
}
