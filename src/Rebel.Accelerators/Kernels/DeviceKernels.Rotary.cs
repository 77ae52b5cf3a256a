// Rotary position embedding on the device (HF rotate_half layout, full or partial rotary dimension). The backward is the same
// rotation by the negated angle, accumulated into the input's gradient. The cos/sin tables are read out of the engine's
// RotaryTable through the managed op itself, so both devices rotate by bit-identical angles.
using ILGPU;
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

/// <summary>cos and sin of position·frequency, (positions, R/2) each, in an accelerator's memory.</summary>
public sealed class DeviceRotaryTable : IDisposable
{
    /// <summary>Rotated channels per head.</summary>
    public int RotaryDim { get; }

    /// <summary>Positions tabulated: [0, Positions).</summary>
    public int Positions { get; }

    internal DeviceBuffer Cos { get; }

    internal DeviceBuffer Sin { get; }

    /// <summary>Copies <paramref name="table"/>'s cos/sin for positions [0, <paramref name="positions"/>) onto <paramref name="device"/>.</summary>
    public DeviceRotaryTable(AcceleratorDevice device, RotaryTable table, int positions)
    {
        if (positions <= 0) throw new ArgumentException($"DeviceRotaryTable: {positions} positions; need at least one.");
        RotaryDim = table.RotaryDim;
        Positions = positions;
        int half = RotaryDim / 2;
        // Rotating a row that is 1 in its first half and 0 in its second yields exactly (cos, sin) of that row's position.
        var unit = new float[positions * RotaryDim];
        for (int p = 0; p < positions; p++) unit.AsSpan(p * RotaryDim, half).Fill(1f);
        var pos = Enumerable.Range(0, positions).ToArray();
        float[] rotated;
        using (Autograd.NoGrad()) rotated = Ops.Rotary(Tensor.FromArray(unit, 1, positions, RotaryDim), 1, table, pos).ToArray();
        var cos = new float[positions * half];
        var sin = new float[positions * half];
        for (int p = 0; p < positions; p++)
        {
            rotated.AsSpan(p * RotaryDim, half).CopyTo(cos.AsSpan(p * half));
            rotated.AsSpan(p * RotaryDim + half, half).CopyTo(sin.AsSpan(p * half));
        }
        Cos = device.Upload(cos, positions, half);
        Sin = device.Upload(sin, positions, half);
    }

    /// <summary>Frees the tables.</summary>
    public void Dispose()
    {
        Cos.Dispose();
        Sin.Dispose();
    }
}

public sealed partial class DeviceKernels
{
    /// <summary>Sizes of a rotary launch: channels per row (H·D), head size D, half the rotary dimension, and the backward flag.</summary>
    internal readonly record struct RotaryShape(int Width, int HeadSize, int Half, int Backward);

    /// <summary>
    /// Rotates the first R channels of each head of x (B, T, H·D) by position: out[i] = x[i]·cos − x[i+R/2]·sin,
    /// out[i+R/2] = x[i+R/2]·cos + x[i]·sin for i &lt; R/2; other channels pass through. One position per (b, t).
    /// </summary>
    public DeviceBuffer Rotary(DeviceBuffer x, int heads, DeviceRotaryTable table, ReadOnlySpan<int> positions)
    {
        var shape = CheckRotary("Rotary", x, heads, table, positions);
        var y = device.Allocate(x.Shape);
        RunRotary(x, y, table, positions, shape);
        return y;
    }

    /// <summary>Backward of <see cref="Rotary"/>: gx += the rotation of g by the negated angles.</summary>
    public void RotaryBackward(DeviceBuffer g, int heads, DeviceRotaryTable table, ReadOnlySpan<int> positions, DeviceBuffer gx)
    {
        var shape = CheckRotary("RotaryBackward", g, heads, table, positions);
        RequireSameShape("RotaryBackward", "gradient", g, "input gradient", gx);
        RunRotary(g, gx, table, positions, shape with { Backward = 1 });
    }

    private void RunRotary(DeviceBuffer source, DeviceBuffer destination, DeviceRotaryTable table, ReadOnlySpan<int> positions, RotaryShape shape)
    {
        if (source.Size == 0) return;
        var pos = UploadIndices(positions);
        Run(new RotaryOp(source.View, destination.View, table.Cos.View, table.Sin.View, pos.View.AsContiguous(), shape), source.Size);
        Finish(pos);
    }

    private RotaryShape CheckRotary(string op, DeviceBuffer x, int heads, DeviceRotaryTable table, ReadOnlySpan<int> positions)
    {
        RequireHere(op, x);
        RequireHere(op, table.Cos);
        if (x.Shape.Length != 3 || heads <= 0 || x.Shape[2] % heads != 0)
            throw new ArgumentException($"{op}: input {Tensor.Format(x.Shape)} is not (B, T, H·D) with H = {heads}.");
        int rows = x.Shape[0] * x.Shape[1], d = x.Shape[2] / heads;
        if (table.RotaryDim > d) throw new ArgumentException($"{op}: rotary dimension {table.RotaryDim} exceeds head size {d}.");
        if (positions.Length != rows) throw new ArgumentException($"{op}: {positions.Length} positions for input {Tensor.Format(x.Shape)} ({rows} rows).");
        foreach (var p in positions)
            if ((uint)p >= (uint)table.Positions) throw new ArgumentException($"{op}: position {p} is outside the device table's {table.Positions} positions.");
        return new RotaryShape(x.Shape[2], d, table.RotaryDim / 2, 0);
    }

    /// <summary>One output element of the rotation (or, backward, of the rotation by the negated angle, accumulated).</summary>
    internal readonly struct RotaryOp(ArrayView<float> src, ArrayView<float> dst, ArrayView<float> cos, ArrayView<float> sin, ArrayView<int> positions, RotaryShape s) : IElementOp
    {
        private readonly ArrayView<float> src = src, dst = dst, cos = cos, sin = sin;
        private readonly ArrayView<int> positions = positions;
        private readonly RotaryShape s = s;

        public void Apply(int i)
        {
            int row = i / s.Width, c = i % s.Width % s.HeadSize, head = i - c; // head: index of this head's channel 0
            float value;
            if (c >= 2 * s.Half)
            {
                value = src[i];
            }
            else
            {
                int j = c < s.Half ? c : c - s.Half, t = positions[row] * s.Half + j;
                float cs = cos[t], sn = s.Backward != 0 ? -sin[t] : sin[t];
                float x1 = src[head + j], x2 = src[head + j + s.Half];
                value = c < s.Half ? x1 * cs - x2 * sn : x2 * cs + x1 * sn;
            }
            dst[i] = s.Backward != 0 ? dst[i] + value : value;
        }
    }
}
