// Small kernels the engine's dispatch needs beside the op kernels: adding a constant in place (seeding a gradient), y += s·x over
// raw storage (gradients of reshapes and copies), repeating a bias row, and the sum of squares / in-place scale of gradient
// clipping split in two (the global norm spans tensors on several calls).
using ILGPU;
using ILGPU.Runtime;

namespace Rebel.Accelerators.Kernels;

public sealed partial class DeviceKernels
{
    /// <summary>x[i] += s.</summary>
    internal void AddScalarInPlace(ArrayView<float> x, float s) => Run(new AddScalarOp(x, x, s), (int)x.Length);

    /// <summary>y[i] += s·x[i].</summary>
    internal void Axpy(ArrayView<float> x, ArrayView<float> y, float s) => Run(new ScaleOp(x, y, s, accumulate: true), (int)x.Length);

    /// <summary>y (rows, width) = row repeated.</summary>
    internal void RepeatRows(ArrayView<float> row, ArrayView<float> y, int width) => Run(new RepeatRowsOp(row, y, width), (int)y.Length);

    /// <summary>Σ x² as a float (one atomic add per thread, as ClipGradNorm's).</summary>
    internal float SumOfSquares(ArrayView<float> x)
    {
        sumSquaresKernel ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(SumSquaresKernel);
        using var total = Accelerator.Allocate1D<float>(1);
        total.MemSetToZero();
        int threads = (int)Math.Min(x.Length, Math.Max(1, Accelerator.MaxNumThreads));
        if (x.Length > 0) sumSquaresKernel(threads, x, total.View, threads);
        var result = new float[1];
        total.View.CopyToCPU(result);
        return result[0];
    }

    /// <summary>x[i] *= s in place.</summary>
    internal void ScaleInPlace(ArrayView<float> x, float s) => Run(new ScaleOp(x, x, s, accumulate: false), (int)x.Length);

    /// <summary>AdamW on raw views (the engine's optimizer keeps the moments).</summary>
    internal void AdamW(ArrayView<float> theta, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, AdamWConstants constants) =>
        Run(new AdamWOp(theta, g, m, v, constants), (int)theta.Length);

    internal readonly struct RepeatRowsOp(ArrayView<float> row, ArrayView<float> y, int width) : IElementOp
    {
        private readonly ArrayView<float> row = row, y = y;
        private readonly int width = width;

        public void Apply(int i) => y[i] = row[i % width];
    }
}
