// Small kernels the engine's dispatch needs beside the op kernels: adding a constant in place (seeding a gradient), y += s·x over
// raw storage (gradients of reshapes and copies) and repeating a bias row.
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

    internal readonly struct RepeatRowsOp(ArrayView<float> row, ArrayView<float> y, int width) : IElementOp
    {
        private readonly ArrayView<float> row = row, y = y;
        private readonly int width = width;

        public void Apply(int i) => y[i] = row[i % width];
    }
}
