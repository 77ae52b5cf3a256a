// Optimizer kernels behind the engine's AdamW and Optimizer.ClipGradNorm on a device: the AdamW update (the same float operations in
// the same order as the engine's AdamWKernel), and clipping's two halves, the sum of squares (by as many strided threads as the
// device runs at once, one atomic add each) and the in-place scale.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

public sealed partial class DeviceKernels
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int>? sumSquaresKernel;

    /// <summary>Constants of one AdamW step: β₁, β₂, ε, bias corrections 1 − βᵗ, learning rate, decay factor 1 − lr·λ.</summary>
    internal readonly record struct AdamWConstants(float Beta1, float Beta2, float Epsilon, float Correction1, float Correction2, float LearningRate, float Decay);

    /// <summary>
    /// One AdamW update in place over views of equal length (the engine's optimizer keeps the moments): m ← β₁m + (1−β₁)g,
    /// v ← β₂v + (1−β₂)g², θ ← θ·(1 − lr·λ) − lr·(m/c₁)/(√(v/c₂) + ε).
    /// </summary>
    internal void AdamW(ArrayView<float> theta, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, AdamWConstants constants) =>
        Run(new AdamWOp(theta, g, m, v, constants), (int)theta.Length);

    /// <summary>One element's AdamW update.</summary>
    internal readonly struct AdamWOp(ArrayView<float> theta, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, AdamWConstants s) : IElementOp
    {
        private readonly ArrayView<float> theta = theta, g = g, m = m, v = v;
        private readonly AdamWConstants s = s;

        public void Apply(int i)
        {
            float gi = g[i];
            float mk = s.Beta1 * m[i] + (1f - s.Beta1) * gi;
            float vk = s.Beta2 * v[i] + (1f - s.Beta2) * gi * gi;
            m[i] = mk;
            v[i] = vk;
            theta[i] = theta[i] * s.Decay - s.LearningRate * (mk / s.Correction1) / (XMath.Sqrt(vk / s.Correction2) + s.Epsilon);
        }
    }

    /// <summary>Σ x² over every view, accumulated in one device float (one atomic add per thread and view) and read back once.</summary>
    internal float SumOfSquares(IReadOnlyList<ArrayView<float>> xs)
    {
        sumSquaresKernel ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(SumSquaresKernel);
        using var total = Accelerator.Allocate1D<float>(1);
        total.MemSetToZero();
        foreach (var x in xs)
        {
            int threads = (int)Math.Min(x.Length, Math.Max(1, Accelerator.MaxNumThreads));
            if (x.Length > 0) sumSquaresKernel(threads, x, total.View, threads);
        }
        var result = new float[1];
        total.View.CopyToCPU(result);
        return result[0];
    }

    /// <summary>x[i] *= s in place.</summary>
    internal void ScaleInPlace(ArrayView<float> x, float s) => Run(new ScaleOp(x, x, s, accumulate: false), (int)x.Length);

    // total[0] += Σ_k g[k]², thread i summing k = i, i + stride, …
    [DeviceKernel]
    private static void SumSquaresKernel(Index1D i, ArrayView<float> g, ArrayView<float> total, int stride)
    {
        float sum = 0f;
        for (long k = i; k < g.Length; k += stride) sum += g[k] * g[k];
        Atomic.Add(ref total[0], sum);
    }
}
