// The Bradley–Terry reward-model loss (Bradley & Terry 1952; Ouyang et al. 2022, eq. 1): fit scalar scores so that
// P(y_w ≻ y_l | x) = σ(s(x, y_w) − s(x, y_l)) explains the labelled preferences.
using Rebel.Tensors;

namespace Rebel.Training.Losses;

/// <summary>The pairwise logistic loss of a reward model.</summary>
public static class BradleyTerryLoss
{
    /// <summary>
    /// L = mean over pairs of −ln σ(s(x, y_w) − s(x, y_l)) = mean of softplus(−z), z = s_w − s_l.
    /// <paramref name="chosen"/> (P) holds s(x, y_w), <paramref name="rejected"/> (P) holds s(x, y_l), both with gradient.
    /// Computed as ln(1 + e^{min(−z, 80)}) + max(−z − 80, 0): smooth at z = 0 (where the gradient is −½ per pair, as it must be for a
    /// zero-initialised head), no overflow of e^{−z}, and the exact slope −1 for margins beyond −80.
    /// ∂L/∂s_w = −σ(−z)/P (raising the chosen score lowers the loss), ∂L/∂s_l = +σ(−z)/P.
    /// </summary>
    public static Tensor Compute(Tensor chosen, Tensor rejected)
    {
        ArgumentNullException.ThrowIfNull(chosen);
        ArgumentNullException.ThrowIfNull(rejected);
        if (chosen.Rank != 1 || rejected.Rank != 1 || chosen.Size != rejected.Size || chosen.Size == 0)
            throw new ArgumentException($"BradleyTerryLoss: scores must be non-empty vectors (P) of equal length, got {Tensor.Format(chosen.Shape)} and {Tensor.Format(rejected.Shape)}.");
        var negZ = Ops.Sub(rejected, chosen); // (P) −z
        var softplus = Ops.Log(Ops.Add(Ops.Exp(Ops.Clamp(negZ, float.MinValue, ExpLimit)), 1f)); // (P) ln(1 + e^{min(−z, 80)})
        var beyond = Ops.Relu(Ops.Sub(negZ, ExpLimit)); // (P) max(−z − 80, 0)
        return Ops.Mean(Ops.Add(softplus, beyond));
    }

    private const float ExpLimit = 80f;

    /// <summary>Fraction of pairs with s(x, y_w) &gt; s(x, y_l) (ties count as wrong).</summary>
    public static double Accuracy(ReadOnlySpan<float> chosen, ReadOnlySpan<float> rejected)
    {
        if (chosen.Length != rejected.Length) throw new ArgumentException($"BradleyTerryLoss: {chosen.Length} chosen scores but {rejected.Length} rejected.");
        if (chosen.Length == 0) return double.NaN;
        int right = 0;
        for (int i = 0; i < chosen.Length; i++) if (chosen[i] > rejected[i]) right++;
        return (double)right / chosen.Length;
    }
}
