// Device storage: a dense float32 buffer with a shape, on one accelerator. Kernels read and write these; moving data is explicit
// (Upload on the device, ToArray / ToTensor back to the host).
using ILGPU;
using ILGPU.Runtime;
using Rebel.Tensors;

namespace Rebel.Accelerators;

/// <summary>A float32 row-major buffer of a fixed shape in an accelerator's memory.</summary>
public sealed class DeviceBuffer : IDisposable
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense> memory;
    private readonly bool ownsMemory; // false for a view made by Reshape: its owner frees the memory

    /// <summary>The device holding the buffer.</summary>
    public AcceleratorDevice Device { get; }

    /// <summary>The shape, outermost dimension first.</summary>
    public int[] Shape { get; }

    /// <summary>Number of elements.</summary>
    public int Size { get; }

    internal DeviceBuffer(AcceleratorDevice device, int[] shape, bool clear = true)
    {
        Device = device;
        Shape = (int[])shape.Clone();
        Size = Tensor.ShapeSize(shape);
        memory = device.Accelerator.Allocate1D<float>(Math.Max(Size, 1)); // ILGPU views of length 0 cannot be launched over
        ownsMemory = true;
        if (clear) memory.MemSetToZero();
    }

    private DeviceBuffer(DeviceBuffer owner, int[] shape)
    {
        Device = owner.Device;
        Shape = shape;
        Size = owner.Size;
        memory = owner.memory;
    }

    /// <summary>A view of the same memory with another shape of as many elements; one dimension may be −1 (inferred). Disposing the view frees nothing.</summary>
    public DeviceBuffer Reshape(params int[] shape)
    {
        var resolved = (int[])shape.Clone();
        int infer = Array.IndexOf(resolved, -1);
        if (infer >= 0)
        {
            resolved[infer] = 1;
            if (Array.IndexOf(resolved, -1) >= 0) throw new ArgumentException($"Reshape: more than one −1 in {Tensor.Format(shape)}.");
            int known = Tensor.ShapeSize(resolved);
            if (known == 0 || Size % known != 0)
                throw new ArgumentException($"Reshape: cannot reshape {Tensor.Format(Shape)} to {Tensor.Format(shape)}.");
            resolved[infer] = Size / known;
        }
        if (Tensor.ShapeSize(resolved) != Size) throw new ArgumentException($"Reshape: cannot reshape {Tensor.Format(Shape)} to {Tensor.Format(shape)}.");
        return new DeviceBuffer(this, resolved);
    }

    /// <summary>The elements as an ILGPU view (for kernels).</summary>
    internal ArrayView<float> View => memory.View.AsContiguous().SubView(0, Size);

    /// <summary>The device address of the first element (for cuBLAS).</summary>
    internal IntPtr NativePointer => memory.NativePtr;

    /// <summary>Overwrites the buffer with <paramref name="values"/> (exactly <see cref="Size"/> of them).</summary>
    public void CopyFrom(ReadOnlySpan<float> values)
    {
        if (values.Length != Size) throw new ArgumentException($"DeviceBuffer.CopyFrom: {values.Length} values for shape {Tensor.Format(Shape)}.");
        if (Size > 0) View.CopyFromCPU(values);
    }

    /// <summary>Copies the elements back to the host (waits for pending kernels).</summary>
    public float[] ToArray()
    {
        var values = new float[Size];
        if (Size > 0) View.CopyToCPU(values);
        return values;
    }

    /// <summary>The elements as a host tensor of the same shape (explicit ToHost).</summary>
    public Tensor ToTensor() => Tensor.FromArray(ToArray(), Shape);

    /// <summary>Sets every element to zero.</summary>
    public void Clear() => memory.MemSetToZero();

    /// <summary>Frees the device memory (a view made by <see cref="Reshape"/> frees nothing).</summary>
    public void Dispose()
    {
        if (ownsMemory) memory.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"DeviceBuffer{Tensor.Format(Shape)} on {DeviceNames.Name(Device.Kind)}";
}
