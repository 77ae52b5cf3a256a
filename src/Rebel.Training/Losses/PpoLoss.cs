// PPO's clipped surrogate and clipped value loss (Schulman et al. 2017; value clipping as in the OpenAI baselines and TRL's PPO).
using Rebel.Tensors;

namespace Rebel.Training.Losses;

/// <summary>Token-level PPO losses over right-padded (N, T) batches with a constant response mask.</summary>
public static class PpoLoss
{
    /// <summary>
    /// L_clip(θ) = −mean_{masked t} min(ρ_t·A_t, clip(ρ_t, 1−ε, 1+ε)·A_t) with ρ_t = exp(ln π_θ(y_t) − ln π_old(y_t)).
    /// <paramref name="logProbs"/> (N, T) has gradient; <paramref name="oldLogProbs"/>, <paramref name="advantages"/> and <paramref name="mask"/> are flat (N·T) constants.
    /// Where the clipped term is the minimum (ρ &gt; 1+ε with A &gt; 0, ρ &lt; 1−ε with A &lt; 0) the gradient is zero.
    /// </summary>
    public static Tensor Policy(Tensor logProbs, ReadOnlySpan<float> oldLogProbs, ReadOnlySpan<float> advantages, ReadOnlySpan<float> mask, float clip)
    {
        int[] shape = logProbs.Shape.ToArray();
        Require(logProbs.Size, oldLogProbs.Length, advantages.Length, mask.Length);
        var ratio = Ops.Exp(Ops.Sub(logProbs, Tensor.FromArray(oldLogProbs.ToArray(), shape))); // (N, T)
        var adv = Tensor.FromArray(advantages.ToArray(), shape); // (N, T)
        var unclipped = Ops.Mul(ratio, adv);
        var clipped = Ops.Mul(Ops.Clamp(ratio, 1 - clip, 1 + clip), adv);
        return Ops.Neg(Advantages.MaskedMean(Minimum(unclipped, clipped), mask));
    }

    /// <summary>
    /// L_V(φ) = ½·mean_{masked t} max((V_t − R_t)², (V_old,t + clip(V_t − V_old,t, −c, c) − R_t)²), R_t the GAE returns.
    /// <paramref name="values"/> (N, T) has gradient; the rest are flat (N·T) constants.
    /// </summary>
    public static Tensor Value(Tensor values, ReadOnlySpan<float> oldValues, ReadOnlySpan<float> returns, ReadOnlySpan<float> mask, float clip)
    {
        int[] shape = values.Shape.ToArray();
        Require(values.Size, oldValues.Length, returns.Length, mask.Length);
        var old = Tensor.FromArray(oldValues.ToArray(), shape);
        var ret = Tensor.FromArray(returns.ToArray(), shape);
        var err = Ops.Sub(values, ret);
        var clippedErr = Ops.Sub(Ops.Add(old, Ops.Clamp(Ops.Sub(values, old), -clip, clip)), ret);
        var a = Ops.Mul(err, err);
        var b = Ops.Mul(clippedErr, clippedErr);
        var maxMask = new float[a.Size];
        var av = a.Span; var bv = b.Span;
        for (int i = 0; i < maxMask.Length; i++) maxMask[i] = av[i] >= bv[i] ? 1 : 0;
        return Ops.Mul(Advantages.MaskedMean(Ops.Where(Tensor.FromArray(maxMask, shape), a, b), mask), 0.5f);
    }

    /// <summary>Fraction of masked tokens whose ratio lies outside [1−ε, 1+ε] (a diagnostic, TRL's policy/clipfrac).</summary>
    public static double ClipFraction(ReadOnlySpan<float> logProbs, ReadOnlySpan<float> oldLogProbs, ReadOnlySpan<float> mask, float clip)
    {
        double hit = 0, count = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            if (mask[i] == 0) continue;
            double r = Math.Exp(logProbs[i] - oldLogProbs[i]);
            if (r < 1 - clip || r > 1 + clip) hit++;
            count++;
        }
        return count == 0 ? 0 : hit / count;
    }

    // Element-wise min(a, b) with the gradient of the chosen side (ties go to a).
    internal static Tensor Minimum(Tensor a, Tensor b)
    {
        var m = new float[a.Size];
        var av = a.Span; var bv = b.Span;
        for (int i = 0; i < m.Length; i++) m[i] = av[i] <= bv[i] ? 1 : 0;
        return Ops.Where(Tensor.FromArray(m, a.Shape.ToArray()), a, b);
    }

    private static void Require(int size, int old, int other, int mask)
    {
        if (old != size || other != size || mask != size)
            throw new ArgumentException($"PpoLoss: sizes differ (current {size}, old {old}, advantages/returns {other}, mask {mask}).");
    }
}
