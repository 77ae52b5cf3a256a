// Device storage: a dense float32 buffer with a shape, on one accelerator. Kernels read and write these; moving data is explicit
// (Upload on the device, ToArray / ToTensor back to the host). A DeviceBuffer is also the DeviceStorage of the engine's tensors
// on that accelerator: the tensor keeps the owning buffer and hands kernels a view of its shape (ViewAs).
using ILGPU;
using ILGPU.Runtime;
using Rebel.Tensors;

namespace Rebel.Accelerators;

/// <summary>A float32 row-major buffer of a fixed shape in an accelerator's memory.</summary>
public sealed class DeviceBuffer : DeviceStorage
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense> memory;
    private readonly DeviceBuffer? owner; // set for a view (Reshape, ViewAs): the owner frees the memory

    /// <summary>The device holding the buffer.</summary>
    public new AcceleratorDevice Device { get; }

    /// <inheritdoc />
    protected override TensorDevice Holder => Device;

    /// <summary>The shape, outermost dimension first.</summary>
    public int[] Shape { get; }

    /// <summary>Number of elements.</summary>
    public int Size { get; }

    /// <inheritdoc />
    public override DeviceStorage Root => owner ?? this;

    /// <inheritdoc />
    public override int Capacity => owner is null ? (int)memory.Length : Size;

    internal DeviceBuffer(AcceleratorDevice device, int[] shape, bool clear = true)
    {
        Device = device;
        Shape = (int[])shape.Clone();
        Size = Tensor.ShapeSize(shape);
        memory = device.Accelerator.Allocate1D<float>(Math.Max(Size, 1)); // ILGPU views of length 0 cannot be launched over
        if (clear) memory.MemSetToZero();
    }

    private DeviceBuffer(DeviceBuffer owner, int[] shape)
    {
        Device = owner.Device;
        Shape = shape;
        Size = Tensor.ShapeSize(shape);
        memory = owner.memory;
        this.owner = owner.owner ?? owner;
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

    /// <summary>A view of the first elements of the memory with <paramref name="shape"/> (at most the memory's length); frees nothing.</summary>
    internal DeviceBuffer ViewAs(int[] shape)
    {
        int size = Tensor.ShapeSize(shape);
        if (size > memory.Length) throw new ArgumentException($"ViewAs: {Tensor.Format(shape)} does not fit a buffer of {memory.Length} floats.");
        if (owner is null && size == Size && shape.AsSpan().SequenceEqual(Shape)) return this;
        return new DeviceBuffer(this, (int[])shape.Clone());
    }

    /// <summary>The elements as an ILGPU view (for kernels).</summary>
    internal ArrayView<float> View => memory.View.AsContiguous().SubView(0, Size);

    /// <summary>Elements [offset, offset + length) of the memory (beyond <see cref="Size"/> for a pooled buffer's spare room).</summary>
    internal ArrayView<float> Range(int offset, int length)
    {
        if (offset < 0 || length < 0 || offset + (long)length > memory.Length)
            throw new ArgumentException($"DeviceBuffer: elements [{offset}, {offset + (long)length}) are outside a buffer of {memory.Length}.");
        return memory.View.AsContiguous().SubView(offset, length);
    }

    /// <summary>The device address of the first element (for cuBLAS).</summary>
    internal IntPtr NativePointer => memory.NativePtr;

    /// <summary>Overwrites the buffer with <paramref name="values"/> (exactly <see cref="Size"/> of them).</summary>
    public void CopyFrom(ReadOnlySpan<float> values)
    {
        if (values.Length != Size) throw new ArgumentException($"DeviceBuffer.CopyFrom: {values.Length} values for shape {Tensor.Format(Shape)}.");
        if (Size > 0) View.CopyFromCPU(values);
    }

    /// <inheritdoc />
    public override void Upload(ReadOnlySpan<float> values, int offset = 0)
    {
        if (offset < 0 || offset + values.Length > memory.Length)
            throw new ArgumentException($"DeviceBuffer.Upload: {values.Length} values at {offset} do not fit {memory.Length} floats.");
        if (values.Length > 0) memory.View.AsContiguous().SubView(offset, values.Length).CopyFromCPU(values);
    }

    /// <inheritdoc />
    public override void Download(Span<float> values, int offset = 0)
    {
        if (offset < 0 || offset + values.Length > memory.Length)
            throw new ArgumentException($"DeviceBuffer.Download: {values.Length} values at {offset} exceed {memory.Length} floats.");
        if (values.Length > 0) memory.View.AsContiguous().SubView(offset, values.Length).CopyToCPU(values);
    }

    /// <inheritdoc />
    public override void Clear(int length)
    {
        if (length <= 0) return;
        if (length >= memory.Length) memory.MemSetToZero();
        else memory.View.AsContiguous().SubView(0, length).MemSetToZero();
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
    public void Clear()
    {
        if (Size > 0) View.MemSetToZero();
    }

    /// <summary>Frees the device memory (a view frees nothing).</summary>
    public override void Dispose()
    {
        if (owner is null) memory.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"DeviceBuffer{Tensor.Format(Shape)} on {DeviceNames.Name(Device.Kind)}";
}
