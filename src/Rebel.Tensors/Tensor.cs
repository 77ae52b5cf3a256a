// Tensor: a float32, row-major, contiguous n-dimensional array that can take part in reverse-mode autograd.
// Ops live in the static class Ops (one file per family); the tape is in Autograd.cs; buffers come from TensorScope.
using System.Runtime.CompilerServices;

namespace Rebel.Tensors;

/// <summary>A float32 row-major tensor. Data lives in <see cref="Data"/> from <see cref="Offset"/> for <see cref="Size"/> elements.</summary>
public sealed partial class Tensor
{
    private float[]? grad;
    private StorageLease? lease; // counts garbage-collected storage (parameters, tensors made outside a scope) in TensorMemory

    /// <summary>The shape, outermost dimension first. Never mutated after construction.</summary>
    public int[] Shape { get; }

    /// <summary>Number of elements (product of the shape).</summary>
    public int Size { get; }

    /// <summary>Backing array; the tensor occupies [Offset, Offset + Size). A tensor on an accelerator has none: reading it is an
    /// error that says to move the tensor to the host first (<see cref="Ops.ToHost"/>, <see cref="ToArray"/>).</summary>
    public float[] Data
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (storage is not null) ThrowOnDevice("Data");
            return data;
        }
        private set => data = value;
    }

    private float[] data;

    /// <summary>Start of this tensor inside <see cref="Data"/>; non-zero only for views.</summary>
    public int Offset { get; }

    /// <summary>True when gradients flow into this tensor during <see cref="Backward"/>.</summary>
    public bool RequiresGrad { get; internal set; }

    /// <summary>True for trainable leaves (parameters); their gradients persist across scopes.</summary>
    public bool IsParameter { get; }

    /// <summary>Optional name (Hugging Face tensor names for model weights).</summary>
    public string? Name { get; set; }

    /// <summary>Name of the op that produced this tensor (for error messages and anomaly mode).</summary>
    public string Op { get; internal set; } = "leaf";

    internal Tensor[]? Parents;
    internal Action? BackwardFn;

    internal Tensor(int[] shape, float[] data, int offset, bool isParameter, bool counted = false)
    {
        Shape = shape;
        Size = ShapeSize(shape);
        if (offset < 0 || offset + Size > data.Length)
            throw new ArgumentException($"Tensor: data of length {data.Length} at offset {offset} cannot hold shape {Format(shape)}.");
        this.data = data;
        Offset = offset;
        IsParameter = isParameter;
        if (isParameter || counted) lease = new StorageLease(Size);
    }

    /// <summary>A tensor of zeros. Inside a <see cref="TensorScope"/> its buffer is pooled and reclaimed when the scope ends.</summary>
    public static Tensor Zeros(params int[] shape) => TensorScope.Allocate(shape, clear: true);

    /// <summary>A tensor whose contents are unspecified (every element must be written by the caller).</summary>
    internal static Tensor Uninitialized(int[] shape) => TensorScope.Allocate(shape, clear: false);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(float value, params int[] shape)
    {
        var t = Uninitialized(shape);
        t.Span.Fill(value);
        return t;
    }

    /// <summary>Wraps (does not copy) <paramref name="data"/> as a tensor of the given shape. Never pooled.</summary>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        if (ShapeSize(shape) != data.Length)
            throw new ArgumentException($"FromArray: {data.Length} values cannot fill shape {Format(shape)}.");
        return new Tensor((int[])shape.Clone(), data, 0, isParameter: false);
    }

    /// <summary>A scalar (shape []) tensor.</summary>
    public static Tensor Scalar(float value) => FromArray([value]);

    /// <summary>A trainable parameter: a leaf that requires grad and owns a persistent gradient buffer. Never pooled.</summary>
    public static Tensor Parameter(float[] data, int[] shape, string? name = null)
    {
        if (ShapeSize(shape) != data.Length)
            throw new ArgumentException($"Parameter '{name}': {data.Length} values cannot fill shape {Format(shape)}.");
        return new Tensor((int[])shape.Clone(), data, 0, isParameter: true) { RequiresGrad = true, Name = name };
    }

    /// <summary>Freezes a parameter (false: no gradient flows to it) or makes it trainable again (true).</summary>
    public void SetTrainable(bool trainable)
    {
        if (!IsParameter) throw new InvalidOperationException($"SetTrainable: {this} is not a parameter.");
        RequiresGrad = trainable;
    }

    /// <summary>A zero-initialised parameter of the given shape.</summary>
    public static Tensor Parameter(int[] shape, string? name = null) => Parameter(new float[ShapeSize(shape)], shape, name);

    /// <summary>The tensor's elements.</summary>
    public Span<float> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (storage is not null) ThrowOnDevice("Span");
            return data.AsSpan(Offset, Size);
        }
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>Size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int Dim(int axis) => Shape[NormalizeAxis(axis, Shape.Length, "Dim")];

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Size != 1) throw new InvalidOperationException($"Item: tensor of shape {Format(Shape)} has {Size} elements, not 1.");
        if (storage is not null) return ToArray()[0];
        return Data[Offset];
    }

    /// <summary>Copies the elements into a new host array (from the device for a tensor on an accelerator).</summary>
    public float[] ToArray()
    {
        if (storage is not null)
        {
            var values = new float[Size];
            if (Size > 0) storage.Download(values);
            return values;
        }
        return bf16 is null ? Span.ToArray() : Widened().Span.ToArray();
    }

    /// <summary>The gradient accumulated by <see cref="Backward"/>, or null when none has reached this tensor. For a tensor on an
    /// accelerator, a host copy of it.</summary>
    public float[]? Grad => storage is null ? grad : deviceGrad is null ? null : DownloadGrad();

    /// <summary>The gradient buffer, allocated (zeroed) on first use. Backward functions accumulate into it with +=.</summary>
    internal Span<float> GradSpan
    {
        get
        {
            if (storage is not null) ThrowOnDevice("GradSpan");
            grad ??= IsParameter ? ParameterGrad() : TensorScope.RentCleared(Size);
            return grad.AsSpan(0, Size);
        }
    }

    /// <summary>
    /// The gradient buffer for a backward function that writes every element. <paramref name="accumulate"/> is false when
    /// the buffer was just taken from the pool uncleared (no gradient has reached this tensor yet): the caller must then
    /// assign every element instead of adding to it, which saves clearing the buffer and reading the zeros back.
    /// </summary>
    internal Span<float> GradForWrite(out bool accumulate)
    {
        accumulate = grad is not null;
        grad ??= IsParameter ? ParameterGrad() : TensorScope.Rent(Size, clear: false);
        return grad.AsSpan(0, Size);
    }

    private float[] ParameterGrad()
    {
        lease!.Grow(Size);
        return new float[Size];
    }

    /// <summary>Drops the gradient of an op's result once its backward has run, giving a buffer of the open scope back to the pool.</summary>
    internal void ReleaseGrad()
    {
        if (!IsParameter && deviceGrad is not null)
        {
            TensorScope.ReleaseDevice(deviceGrad);
            deviceGrad = null;
        }
        if (IsParameter || grad is null) return;
        TensorScope.Release(grad);
        grad = null;
    }

    /// <summary>Sets the gradient to zero (keeps the buffer).</summary>
    public void ZeroGrad()
    {
        if (grad is not null) Array.Clear(grad, 0, Size);
        deviceGrad?.Clear(Size);
    }

    /// <summary>Runs reverse-mode autodiff from this tensor. A non-scalar tensor is seeded with ones.</summary>
    public void Backward() => Autograd.Backward(this);

    /// <summary>A tensor sharing this one's data but cut off from the graph.</summary>
    public Tensor Detach() => storage is not null ? new(Shape, storage, isParameter: false) { Name = Name } : new(Shape, Data, Offset, isParameter: false) { Name = Name };

    /// <summary>A deep copy that owns fresh, unpooled storage (on the same device) and is cut off from the graph.</summary>
    public Tensor Clone() => storage is not null ? CloneOnDevice() : FromArray(ToArray(), Shape);

    /// <inheritdoc />
    public override string ToString() => $"Tensor{Format(Shape)}{(Name is null ? "" : " " + Name)} op={Op}{(storage is null ? "" : " on " + storage.Device.Name)}";

    internal static int ShapeSize(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"Shape {Format(shape)} has a negative dimension.");
            n *= d;
        }
        if (n > Array.MaxLength) throw new ArgumentException($"Shape {Format(shape)} has too many elements ({n}).");
        return (int)n;
    }

    /// <summary>Formats a shape as (2, 3, 4).</summary>
    public static string Format(ReadOnlySpan<int> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++) parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return "(" + string.Join(", ", parts) + ")";
    }

    internal static int NormalizeAxis(int axis, int rank, string op)
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new ArgumentException($"{op}: axis {axis} is out of range for rank {rank}.");
        return a;
    }
}
