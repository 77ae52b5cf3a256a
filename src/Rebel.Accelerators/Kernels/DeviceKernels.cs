// The kernel library of one accelerator: ILGPU kernels for the ops the models, the DiT and the trainers use, forward and
// backward side by side (one file per family), compiled for the accelerator on first use. Launchers check shapes and devices
// on the host before launching; backward launchers accumulate into gradient buffers (+=), as the engine's backward functions do.
using ILGPU;
using ILGPU.Runtime;
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

/// <summary>
/// Element-wise, row-wise, lookup, loss and optimizer kernels on one <see cref="AcceleratorDevice"/>. Launches are asynchronous on
/// the accelerator's stream (copying a result back waits for them); one thread drives a device at a time.
/// </summary>
public sealed partial class DeviceKernels : IDisposable
{
    private readonly AcceleratorDevice device;
    private readonly List<IDisposable> scratch = [];
    private readonly Dictionary<Type, Delegate> elementKernels = [];

    internal DeviceKernels(AcceleratorDevice device)
    {
        this.device = device;
        // Threads per group for the row kernels (one group per row): a warp multiple, at most 256.
        int warp = Math.Max(1, device.Accelerator.WarpSize);
        RowGroupSize = Math.Max(warp, Math.Min(256, device.Accelerator.MaxNumThreadsPerGroup) / warp * warp);
    }

    /// <summary>Threads per group of the row kernels.</summary>
    internal int RowGroupSize { get; }

    private Accelerator Accelerator => device.Accelerator;

    // A one-element placeholder for an absent optional operand (a kernel view must always be bound).
    private ArrayView<float> Placeholder
    {
        get
        {
            if (placeholder is null)
            {
                placeholder = Accelerator.Allocate1D<float>(1);
                placeholder.MemSetToZero();
                scratch.Add(placeholder);
            }
            return placeholder.View;
        }
    }

    private MemoryBuffer1D<float, Stride1D.Dense>? placeholder;

    /// <summary>Frees the kernels' scratch buffers.</summary>
    public void Dispose()
    {
        foreach (var s in scratch) s.Dispose();
        scratch.Clear();
    }

    /// <summary>One index's work of an element-wise kernel: a small struct per op holding its views and constants.</summary>
    internal interface IElementOp
    {
        /// <summary>Does the work of index <paramref name="i"/>.</summary>
        void Apply(int i);
    }

    // The one loop driver of every element-wise kernel: a grid-stride loop, so a launch needs no more threads than the device
    // runs at once (the CPU accelerator then runs one group; a GPU gets enough threads to fill it).
    private static void GridStrideKernel<TOp>(Index1D thread, TOp op, int n, int stride) where TOp : struct, IElementOp
    {
        for (int i = thread; i < n; i += stride) op.Apply(i);
    }

    /// <summary>Runs <paramref name="op"/> for every index in [0, n), compiling its kernel on first use.</summary>
    private void Run<TOp>(TOp op, int n) where TOp : struct, IElementOp
    {
        if (n == 0) return;
        if (!elementKernels.TryGetValue(typeof(TOp), out var kernel))
            elementKernels[typeof(TOp)] = kernel = Accelerator.LoadAutoGroupedStreamKernel<Index1D, TOp, int, int>(GridStrideKernel);
        int threads = Math.Min(n, Math.Max(1, Accelerator.MaxNumThreads));
        ((Action<Index1D, TOp, int, int>)kernel)(threads, op, n, threads);
    }

    // Index lists (token ids, targets, positions) are uploaded for one launch and freed once it has finished.
    private MemoryBuffer1D<int, Stride1D.Dense> UploadIndices(ReadOnlySpan<int> values)
    {
        var buffer = Accelerator.Allocate1D<int>(Math.Max(values.Length, 1));
        if (values.Length > 0) buffer.View.AsContiguous().SubView(0, values.Length).CopyFromCPU(values);
        return buffer;
    }

    private void Finish(IDisposable temporary)
    {
        Accelerator.Synchronize();
        temporary.Dispose();
    }

    private void RequireHere(string op, DeviceBuffer buffer)
    {
        if (buffer.Device != device)
            throw new ArgumentException($"{op}: {buffer} lives on {buffer.Device}, but this kernel library runs on {device}; move it explicitly first.");
    }

    private void RequireSameShape(string op, string nameA, DeviceBuffer a, string nameB, DeviceBuffer b)
    {
        RequireHere(op, a);
        RequireHere(op, b);
        if (!a.Shape.AsSpan().SequenceEqual(b.Shape))
            throw new ArgumentException($"{op}: {nameA} {Tensor.Format(a.Shape)} and {nameB} {Tensor.Format(b.Shape)} must have equal shapes.");
    }

    // Width of the last axis of a row-wise op's input (rows = Size / width).
    private int RowWidth(string op, DeviceBuffer x)
    {
        RequireHere(op, x);
        if (x.Shape.Length == 0) throw new ArgumentException($"{op}: needs at least one dimension, got a scalar.");
        return x.Shape[^1];
    }
}
