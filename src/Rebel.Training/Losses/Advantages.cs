// Pure advantage math shared by the policy-gradient losses: masked means, whitening, and constant masks as tensors.
using Rebel.Tensors;

namespace Rebel.Training.Losses;

/// <summary>Masked means and whitening over flat (N·T) spans.</summary>
public static class Advantages
{
    /// <summary>Σ_i mask_i·x_i / Σ_i mask_i over a tensor of any shape (mask is a constant of the same size; 0 when the mask is empty).</summary>
    public static Tensor MaskedMean(Tensor x, ReadOnlySpan<float> mask)
    {
        if (mask.Length != x.Size) throw new ArgumentException($"Advantages: mask has {mask.Length} entries for a tensor of {x.Size}.");
        float count = 0;
        foreach (var m in mask) count += m;
        var m2 = Tensor.FromArray(mask.ToArray(), x.Shape.ToArray());
        return Ops.Mul(Ops.Sum(Ops.Mul(x, m2)), 1f / Math.Max(count, 1f));
    }

    /// <summary>(mean, std) of the masked entries of <paramref name="values"/>; std is the population standard deviation.</summary>
    public static (double Mean, double Std) MaskedMoments(ReadOnlySpan<float> values, ReadOnlySpan<float> mask)
    {
        double sum = 0, count = 0;
        for (int i = 0; i < values.Length; i++) { sum += mask[i] * values[i]; count += mask[i]; }
        double mean = sum / Math.Max(count, 1);
        double sq = 0;
        for (int i = 0; i < values.Length; i++) sq += mask[i] * (values[i] - mean) * (values[i] - mean);
        return (mean, Math.Sqrt(sq / Math.Max(count, 1)));
    }

    /// <summary>In place: x ← (x − mean)/(std + ε) on masked entries (masked-out entries become 0). With <paramref name="shiftMean"/> false the mean is added back.</summary>
    public static void Whiten(Span<float> values, ReadOnlySpan<float> mask, bool shiftMean = true, float epsilon = 1e-8f)
    {
        var (mean, std) = MaskedMoments(values, mask);
        for (int i = 0; i < values.Length; i++)
            values[i] = mask[i] == 0 ? 0 : (float)((values[i] - mean) / (std + epsilon) + (shiftMean ? 0 : mean));
    }
}
