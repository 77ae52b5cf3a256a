// Token-level losses on logits, fused with log-softmax: cross-entropy with an ignore index, and per-token log-probs;
// large logits split their rows across threads.
using System.Numerics.Tensors;

namespace Rebel.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Mean cross-entropy −(1/n)·Σ ln softmax(logits)[target] over rows whose target ≠ <paramref name="ignoreIndex"/>.
    /// logits (…, V), targets one per row. Returns a scalar (0 when every row is ignored).
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> targets, int ignoreIndex = -100)
    {
        var logp = TokenLogProbs(logits, targets, 1f, ignoreIndex, "CrossEntropy");
        int count = 0;
        foreach (var t in targets) if (t != ignoreIndex) count++;
        return Mul(Sum(logp), -1f / Math.Max(count, 1));
    }

    /// <summary>
    /// ln softmax(logits / temperature)[target] for each row: logits (…, V), targets (…) → (…).
    /// Rows whose target is <paramref name="ignoreIndex"/> give 0 and no gradient.
    /// </summary>
    public static Tensor GatherLogProbs(Tensor logits, ReadOnlySpan<int> targets, float temperature = 1f, int ignoreIndex = -100) =>
        TokenLogProbs(logits, targets, temperature, ignoreIndex, "GatherLogProbs");

    private static Tensor TokenLogProbs(Tensor logits, ReadOnlySpan<int> targets, float temperature, int ignoreIndex, string op)
    {
        if (logits.Rank == 0) throw new ArgumentException($"{op}: logits must have a vocabulary axis, got a scalar.");
        if (!(temperature > 0)) throw new ArgumentException($"{op}: temperature {temperature} must be positive.");
        int v = logits.Shape[^1], rows = logits.Size / Math.Max(v, 1);
        if (targets.Length != rows) throw new ArgumentException($"{op}: {targets.Length} targets for logits {Tensor.Format(logits.Shape)} ({rows} rows).");
        var kept = targets.ToArray();
        for (int r = 0; r < rows; r++)
        {
            if (kept[r] != ignoreIndex && (uint)kept[r] >= (uint)v) throw new ArgumentException($"{op}: target {kept[r]} at row {r} is outside the vocabulary of {v}.");
        }
        if (AcceleratorOf(logits) is { } device)
        {
            var lp = new Tensor(logits.Shape[..^1], device.GatherLogProbs(logits, kept, temperature, ignoreIndex, out var saved), isParameter: false);
            return Autograd.Record(lp, op == "CrossEntropy" ? "cross_entropy" : "gather_log_probs", [logits], () =>
                device.GatherLogProbsBackward(logits, kept, temperature, ignoreIndex, saved, lp.DeviceGrad, logits.DeviceGrad));
        }
        var lse = TensorScope.Rent(rows, clear: false); // ln Σ e^(x/τ) per row
        var y = Tensor.Uninitialized(logits.Shape[..^1]);
        float[] x = logits.Data, yd = y.Data;
        int xo = logits.Offset, parts = RowParts(rows, v);
        float inv = 1f / temperature;
        ForEachRowRange(rows, parts, (r0, r1, _) =>
        {
            for (int r = r0; r < r1; r++)
            {
                int t = kept[r];
                if (t == ignoreIndex) { yd[r] = 0; lse[r] = 0; continue; }
                var row = x.AsSpan(xo + r * v, v);
                lse[r] = LogSumExpScaled(row, inv);
                yd[r] = row[t] * inv - lse[r];
            }
        });
        return Autograd.Record(y, op == "CrossEntropy" ? "cross_entropy" : "gather_log_probs", [logits], () =>
        {
            float[] g = GradArray(y), gx = GradForWriteArray(logits, out bool accumulate);
            ForEachRowRange(rows, parts, (r0, r1, _) =>
            {
                Span<float> chunk = stackalloc float[256];
                for (int r = r0; r < r1; r++)
                {
                    int t = kept[r];
                    var grow = gx.AsSpan(r * v, v);
                    if (t == ignoreIndex || g[r] == 0)
                    {
                        if (!accumulate) grow.Clear();
                        continue;
                    }
                    var row = x.AsSpan(xo + r * v, v);
                    float gr = g[r] * inv, l = lse[r];
                    for (int i = 0; i < v; i += chunk.Length) // grow −= gr · e^(x/τ − lse), vectorised a chunk at a time
                    {
                        int len = Math.Min(chunk.Length, v - i);
                        var e = chunk[..len]; var gs = grow.Slice(i, len);
                        TensorPrimitives.Multiply(row.Slice(i, len), inv, e);
                        TensorPrimitives.Subtract(e, l, e);
                        TensorPrimitives.Exp(e, e);
                        if (accumulate) TensorPrimitives.MultiplyAdd(e, -gr, gs, gs);
                        else TensorPrimitives.Multiply(e, -gr, gs);
                    }
                    grow[t] += gr;
                }
            });
        });
    }

    /// <summary>ln Σᵢ e^(xᵢ·s) for s &gt; 0, stable; e^x vectorised a chunk at a time through a stack buffer.</summary>
    internal static float LogSumExpScaled(ReadOnlySpan<float> x, float s)
    {
        if (x.IsEmpty) return float.NegativeInfinity;
        float max = TensorPrimitives.Max(x) * s;
        Span<float> chunk = stackalloc float[256];
        double sum = 0;
        for (int i = 0; i < x.Length; i += chunk.Length)
        {
            int len = Math.Min(chunk.Length, x.Length - i);
            var e = chunk[..len];
            TensorPrimitives.Multiply(x.Slice(i, len), s, e);
            TensorPrimitives.Subtract(e, max, e);
            TensorPrimitives.Exp(e, e);
            sum += TensorPrimitives.Sum(e);
        }
        return max + (float)Math.Log(sum);
    }

    /// <summary>Scalar reference for <see cref="LogSumExpScaled"/>.</summary>
    internal static float LogSumExpScaledReference(ReadOnlySpan<float> x, float s)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < x.Length; i++) max = MathF.Max(max, x[i] * s);
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += MathF.Exp(x[i] * s - max);
        return max + (float)Math.Log(sum);
    }
}
