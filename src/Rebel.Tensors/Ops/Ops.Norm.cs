// Normalisations over the last axis: LayerNorm (GPT-2, GPT-NeoX) and RMSNorm (Llama, Qwen2), forward and backward fused;
// LayerNorm splits large inputs into row ranges across threads (partial weight/bias gradients are summed at the end).
using System.Numerics.Tensors;
using Rebel.Tensors.Kernels;

namespace Rebel.Tensors;

public static partial class Ops
{
    /// <summary>LayerNorm: y = (x − mean) / √(var + eps) · w + b over the last axis (biased variance). x (…, C), w (C), b (C) or null.</summary>
    public static Tensor LayerNorm(Tensor x, Tensor weight, Tensor? bias, float eps)
    {
        int c = CheckNormShapes("LayerNorm", x, weight, bias);
        if (AcceleratorOf("LayerNorm", [x, weight, bias]) is { } device) return DeviceNorm("layer_norm", device, x, weight, bias, eps, centered: true);
        int rows = x.Size / Math.Max(c, 1), parts = RowParts(rows, c);
        var y = Tensor.Uninitialized(x.Shape);
        var mean = TensorScope.Rent(rows, clear: false);
        var rstd = TensorScope.Rent(rows, clear: false);
        ForEachRowRange(rows, parts, (r0, r1, _) =>
        {
            var xv = x.Span; var yv = y.Span; var w = weight.Span;
            for (int r = r0; r < r1; r++)
            {
                var xr = xv.Slice(r * c, c); var yr = yv.Slice(r * c, c);
                float m = TensorPrimitives.Sum(xr) / c;
                TensorPrimitives.Subtract(xr, m, yr);
                float v = TensorPrimitives.Dot(yr, yr) / c;
                float s = 1f / MathF.Sqrt(v + eps);
                mean[r] = m; rstd[r] = s;
                TensorPrimitives.Multiply(yr, s, yr);
                TensorPrimitives.Multiply(yr, w, yr);
                if (bias is not null) TensorPrimitives.Add(yr, bias.Span, yr);
            }
        });
        Tensor[] parents = bias is null ? [x, weight] : [x, weight, bias];
        return Autograd.Record(y, "layer_norm", parents, () =>
        {
            var g = GradArray(y);
            bool accumulate = false;
            float[]? gx = x.RequiresGrad ? GradForWriteArray(x, out accumulate) : null, gw = weight.RequiresGrad ? GradArray(weight) : null;
            float[]? gb = bias is not null && bias.RequiresGrad ? GradArray(bias) : null;
            var scratch = TensorScope.Rent(parts * 4 * c, clear: true); // per part: x̂, d, partial dw, partial db, each (C)
            ForEachRowRange(rows, parts, (r0, r1, part) =>
            {
                var xs = x.Span; var ws = weight.Span; var sp = scratch.AsSpan(part * 4 * c, 4 * c);
                var xhat = sp[..c]; var d = sp.Slice(c, c); var pgw = sp.Slice(2 * c, c); var pgb = sp.Slice(3 * c, c);
                for (int r = r0; r < r1; r++)
                {
                    var gr = g.AsSpan(r * c, c); var xr = xs.Slice(r * c, c);
                    float s = rstd[r];
                    TensorPrimitives.Subtract(xr, mean[r], xhat);
                    TensorPrimitives.Multiply(xhat, s, xhat); // x̂ = (x − mean)·rstd
                    if (gw is not null) TensorPrimitives.MultiplyAdd(gr, xhat, pgw, pgw); // dw += g ⊙ x̂
                    if (gb is not null) TensorPrimitives.Add(pgb, gr, pgb); // db += g
                    if (gx is null) continue;
                    TensorPrimitives.Multiply(gr, ws, d); // d = g ⊙ w
                    float meanD = TensorPrimitives.Sum(d) / c, meanDx = TensorPrimitives.Dot(d, xhat) / c;
                    TensorPrimitives.MultiplyAdd(xhat, -meanDx, d, d);
                    TensorPrimitives.Subtract(d, meanD, d);
                    var gxr = gx.AsSpan(r * c, c);
                    if (accumulate) TensorPrimitives.MultiplyAdd(d, s, gxr, gxr); // dx += rstd·(d − mean(d) − x̂·mean(d ⊙ x̂))
                    else TensorPrimitives.Multiply(d, s, gxr);
                }
            });
            for (int part = 0; part < parts; part++)
            {
                if (gw is not null) TensorPrimitives.Add(gw.AsSpan(0, c), scratch.AsSpan(part * 4 * c + 2 * c, c), gw.AsSpan(0, c));
                if (gb is not null) TensorPrimitives.Add(gb.AsSpan(0, c), scratch.AsSpan(part * 4 * c + 3 * c, c), gb.AsSpan(0, c));
            }
        });
    }

    // Row ranges for a row-wise op on (rows, width): PartsPerThread per thread when the tensor is large, else one.
    private static int RowParts(int rows, int width) => (long)rows * width >= ParallelElements ? Math.Max(1, Math.Min(rows, PartsPerThread * Environment.ProcessorCount)) : 1;

    // body(firstRow, endRow, part) for each of `parts` equal row ranges, in parallel when there are several.
    private static void ForEachRowRange(int rows, int parts, Action<int, int, int> body)
    {
        if (parts <= 1) { body(0, rows, 0); return; }
        WorkerTeam.For(parts, p => body((int)((long)rows * p / parts), (int)((long)rows * (p + 1) / parts), p));
    }

    private static Tensor DeviceNorm(string name, TensorDevice device, Tensor x, Tensor weight, Tensor? bias, float eps, bool centered)
    {
        var y = new Tensor((int[])x.Shape.Clone(), device.Norm(x, weight, bias, eps, centered, out var saved), isParameter: false);
        return Autograd.Record(y, name, bias is null ? [x, weight] : [x, weight, bias], () =>
            device.NormBackward(x, weight, centered, saved, y.DeviceGrad, GradIfNeeded(x), GradIfNeeded(weight), bias is null ? null : GradIfNeeded(bias)));
    }

    /// <summary>RMSNorm: y = x / √(mean(x²) + eps) · w over the last axis. x (…, C), w (C).</summary>
    public static Tensor RmsNorm(Tensor x, Tensor weight, float eps)
    {
        int c = CheckNormShapes("RmsNorm", x, weight, null);
        if (AcceleratorOf("RmsNorm", x, weight) is { } device) return DeviceNorm("rms_norm", device, x, weight, null, eps, centered: false);
        int rows = x.Size / Math.Max(c, 1);
        var y = Tensor.Uninitialized(x.Shape);
        var rstd = TensorScope.Rent(rows, clear: false);
        var xv = x.Span; var yv = y.Span; var w = weight.Span;
        for (int r = 0; r < rows; r++)
        {
            var xr = xv.Slice(r * c, c); var yr = yv.Slice(r * c, c);
            float s = 1f / MathF.Sqrt(TensorPrimitives.Dot(xr, xr) / c + eps);
            rstd[r] = s;
            TensorPrimitives.Multiply(xr, s, yr);
            TensorPrimitives.Multiply(yr, w, yr);
        }
        return Autograd.Record(y, "rms_norm", [x, weight], () =>
        {
            var g = y.GradSpan; var xs = x.Span; var ws = weight.Span;
            var gx = x.RequiresGrad ? x.GradSpan : default;
            var gw = weight.RequiresGrad ? weight.GradSpan : default;
            for (int r = 0; r < rows; r++)
            {
                var gr = g.Slice(r * c, c); var xr = xs.Slice(r * c, c);
                float s = rstd[r], sumDx = 0;
                for (int i = 0; i < c; i++)
                {
                    float xhat = xr[i] * s;
                    sumDx += gr[i] * ws[i] * xhat;
                    if (!gw.IsEmpty) gw[i] += gr[i] * xhat;
                }
                if (gx.IsEmpty) continue;
                float meanDx = sumDx / c;
                var gxr = gx.Slice(r * c, c);
                for (int i = 0; i < c; i++) gxr[i] += s * (gr[i] * ws[i] - xr[i] * s * meanDx);
            }
        });
    }

    private static int CheckNormShapes(string op, Tensor x, Tensor weight, Tensor? bias)
    {
        if (x.Rank == 0 || weight.Rank != 1 || weight.Shape[0] != x.Shape[^1] || bias is not null && (bias.Rank != 1 || bias.Shape[0] != x.Shape[^1]))
            throw new ArgumentException($"{op}: input {Tensor.Format(x.Shape)} does not match weight {Tensor.Format(weight.Shape)}{(bias is null ? "" : " and bias " + Tensor.Format(bias.Shape))}.");
        return x.Shape[^1];
    }
}
