// Rotary position embedding applied in place of a copy: full (R = D) or partial (R < D, GPT-NeoX's rotary_pct).
namespace Rebel.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Rotates the first R = table.RotaryDim channels of each head of x (B, T, H·D) by position (HF rotate_half layout):
    /// out[i] = x[i]·cos − x[i+R/2]·sin, out[i+R/2] = x[i+R/2]·cos + x[i]·sin for i &lt; R/2; other channels pass through.
    /// <paramref name="positions"/> holds one position per (b, t), B·T in all.
    /// </summary>
    public static Tensor Rotary(Tensor x, int heads, RotaryTable table, ReadOnlySpan<int> positions)
    {
        if (x.Rank != 3 || heads <= 0 || x.Shape[2] % heads != 0)
            throw new ArgumentException($"Rotary: input {Tensor.Format(x.Shape)} is not (B, T, H·D) with H = {heads}.");
        int rows = x.Shape[0] * x.Shape[1], d = x.Shape[2] / heads, r = table.RotaryDim, half = r / 2;
        if (r > d) throw new ArgumentException($"Rotary: rotary dimension {r} exceeds head size {d}.");
        if (positions.Length != rows) throw new ArgumentException($"Rotary: {positions.Length} positions for input {Tensor.Format(x.Shape)} ({rows} rows).");
        var pos = positions.ToArray();
        int maxPos = 0;
        foreach (var p in pos)
        {
            if (p < 0) throw new ArgumentException($"Rotary: negative position {p}.");
            maxPos = Math.Max(maxPos, p);
        }
        table.EnsurePositions(maxPos + 1);
        if (AcceleratorOf(x) is { } device)
        {
            var yd = new Tensor((int[])x.Shape.Clone(), device.Rotary(x, heads, table, pos), isParameter: false);
            return Autograd.Record(yd, "rotary", [x], () => device.RotaryBackward(x, heads, table, pos, yd.DeviceGrad, x.DeviceGrad));
        }
        var y = Tensor.Uninitialized(x.Shape);
        Rotate(x.Span, y.Span, heads, d, half, table, pos, inverse: false, accumulate: false);
        return Autograd.Record(y, "rotary", [x], () => Rotate(y.GradSpan, x.GradSpan, heads, d, half, table, pos, inverse: true, accumulate: true));
    }

    private static void Rotate(ReadOnlySpan<float> src, Span<float> dst, int heads, int d, int half, RotaryTable table, int[] pos, bool inverse, bool accumulate)
    {
        int width = heads * d;
        for (int row = 0; row < pos.Length; row++)
        {
            var c = table.Cos(pos[row]); var s = table.Sin(pos[row]);
            for (int h = 0; h < heads; h++)
            {
                int o = row * width + h * d;
                var a = src.Slice(o, d); var b = dst.Slice(o, d);
                for (int i = 0; i < half; i++)
                {
                    float x1 = a[i], x2 = a[i + half], sn = inverse ? -s[i] : s[i];
                    float y1 = x1 * c[i] - x2 * sn, y2 = x2 * c[i] + x1 * sn;
                    if (accumulate) { b[i] += y1; b[i + half] += y2; }
                    else { b[i] = y1; b[i + half] = y2; }
                }
                for (int i = 2 * half; i < d; i++) b[i] = accumulate ? b[i] + a[i] : a[i];
            }
        }
    }
}
