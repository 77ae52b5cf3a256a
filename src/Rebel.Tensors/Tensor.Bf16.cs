// Frozen tensors held in bfloat16 (half the bytes of float32): weights that no longer train (a reference policy, a reward
// model, a LoRA base). Linear and Conv1D widen such a weight inside the GEMM's panel packing; MatMul widens it whole first.
using Rebel.Tensors.Kernels;

namespace Rebel.Tensors;

public sealed partial class Tensor
{
    private ushort[]? bf16; // (Size) bfloat16 bits when held in bf16; Data is then empty

    /// <summary>True when the values are held in bfloat16 (<see cref="FreezeToBf16"/>); <see cref="Span"/> is then empty.</summary>
    public bool IsBf16 => bf16 is not null;

    /// <summary>The bfloat16 bits of a tensor held in bf16 (empty otherwise).</summary>
    public ReadOnlySpan<ushort> Bf16Bits => bf16;

    /// <summary>Stops gradients from flowing into this leaf (a frozen weight); its gradient buffer is dropped.</summary>
    public void Freeze()
    {
        if (Parents is not null) throw new InvalidOperationException($"Freeze: {this} is the result of an op, not a leaf.");
        RequiresGrad = false;
        DropGrad();
    }

    /// <summary>
    /// Freezes this leaf (<see cref="Freeze"/>) and holds its values in bfloat16, rounded to nearest even: the float32 array is
    /// released and the counted bytes halve. Linear, Conv1D, MatMul and Embedding accept it; other ops need <see cref="Widened"/>.
    /// </summary>
    public void FreezeToBf16()
    {
        if (bf16 is not null) return;
        if (storage is not null) throw new InvalidOperationException($"FreezeToBf16: {this} lives on {storage.Device}; accelerators hold float32 only.");
        if (Offset != 0 || Data.Length != Size) throw new InvalidOperationException($"FreezeToBf16: {this} is a view into a larger array.");
        Freeze();
        var bits = new ushort[Size]; // (Size)
        Bf16.Narrow(Span, bits);
        bf16 = bits;
        Data = [];
        lease?.Shrink((long)Size * (sizeof(float) - sizeof(ushort)));
    }

    /// <summary>
    /// Freezes this leaf and holds it in bfloat16 without converting its current values: the returned bits (zero) are for the
    /// caller to fill, e.g. a loader reading frozen weights straight into bf16, so that the float32 array is never written and
    /// never becomes resident.
    /// </summary>
    public Span<ushort> FreezeToBf16Storage()
    {
        if (bf16 is null)
        {
            if (Offset != 0 || Data.Length != Size) throw new InvalidOperationException($"FreezeToBf16Storage: {this} is a view into a larger array.");
            Freeze();
            bf16 = new ushort[Size]; // (Size)
            Data = [];
            lease?.Shrink((long)Size * (sizeof(float) - sizeof(ushort)));
        }
        return bf16;
    }

    /// <summary>
    /// Holds a bf16-held tensor in float32 again (its bf16 values widened exactly); it stays frozen until made trainable. For
    /// a weight that must change after all, e.g. a LoRA base that adapters are merged into.
    /// </summary>
    public void WidenInPlace()
    {
        if (bf16 is null) return;
        var data = new float[Size]; // (Size)
        Bf16.Widen(bf16, data);
        Data = data;
        bf16 = null;
        lease?.Grow((long)Size * (sizeof(float) - sizeof(ushort)) / sizeof(float));
    }

    /// <summary>Takes this tensor's storage (and gradient) off <see cref="TensorMemory"/> now rather than when it is collected.</summary>
    internal void Uncount() => lease?.Shrink(lease.Bytes);

    /// <summary>Overwrites every element with <paramref name="values"/> (narrowed to bfloat16 when the tensor is held in bf16).</summary>
    public void SetValues(ReadOnlySpan<float> values)
    {
        if (values.Length != Size) throw new ArgumentException($"SetValues: {values.Length} values for {this} of {Size} elements.");
        if (storage is not null) storage.Upload(values);
        else if (bf16 is null) values.CopyTo(Span);
        else Bf16.Narrow(values, bf16);
    }

    /// <summary>This tensor, or for a tensor held in bf16 a float32 copy (no gradient) in a buffer of the open scope.</summary>
    public Tensor Widened()
    {
        if (bf16 is null) return this;
        var w = Uninitialized(Shape);
        Bf16.Widen(bf16, w.Span);
        w.Name = Name;
        return w;
    }
}
