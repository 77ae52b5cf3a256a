// The vocabulary head fused with log-softmax and the gather of token log-probs, a chunk of rows at a time, so the (rows, V)
// logits never exist whole, forward or backward: the backward recomputes each chunk's logits and back-propagates through
// them at once. Rows whose target is ignored (prompt positions) never reach the head at all.
using System.Numerics.Tensors;

namespace Rebel.Tensors;

public static partial class Ops
{
    /// <summary>Rows per chunk for a vocabulary of <paramref name="vocab"/>: about 64 MiB of logits, between 32 and 1024 rows.</summary>
    public static int HeadChunkRows(int vocab) => Math.Clamp((16 << 20) / Math.Max(vocab, 1), 32, 1024);

    /// <summary>
    /// ln softmax(head(hidden) / τ)[target] per row: hidden (…, C), targets one per row → (…), 0 where the target is
    /// <paramref name="ignoreIndex"/>. Equals <c>GatherLogProbs(head(hidden), targets, τ)</c>, but <paramref name="head"/> runs
    /// on at most <paramref name="chunkRows"/> kept rows at a time (e.g. <see cref="HeadChunkRows"/>), and the backward
    /// recomputes each chunk's logits, so no more than one chunk of logits is alive. Gradients reach hidden and, through
    /// <paramref name="head"/>'s own ops, its parameters (when hidden requires grad). <paramref name="entropy"/>, when given
    /// (one per row), receives the entropy in nats of softmax(head(hidden) / τ) at kept rows and 0 elsewhere.
    /// </summary>
    public static Tensor ChunkedGatherLogProbs(Tensor hidden, Func<Tensor, Tensor> head, ReadOnlySpan<int> targets, float temperature,
        int chunkRows, int ignoreIndex = -100, Span<float> entropy = default)
    {
        ArgumentNullException.ThrowIfNull(head);
        if (hidden.Rank == 0) throw new ArgumentException("ChunkedGatherLogProbs: hidden must have a channel axis, got a scalar.");
        if (!(temperature > 0)) throw new ArgumentException($"ChunkedGatherLogProbs: temperature {temperature} must be positive.");
        int c = hidden.Shape[^1], rows = hidden.Size / Math.Max(c, 1);
        if (targets.Length != rows) throw new ArgumentException($"ChunkedGatherLogProbs: {targets.Length} targets for hidden {Tensor.Format(hidden.Shape)} ({rows} rows).");
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRows, 1);
        if (!entropy.IsEmpty && entropy.Length != rows) throw new ArgumentException($"ChunkedGatherLogProbs: entropy holds {entropy.Length} values for {rows} rows.");
        var kept = targets.ToArray();
        if (hidden.IsOnDevice) return DeviceHeadLogProbs(hidden, head, kept, temperature, ignoreIndex, chunkRows, entropy);
        int[] live = [.. Enumerable.Range(0, rows).Where(r => kept[r] != ignoreIndex)]; // rows that reach the head
        var y = Tensor.Zeros(hidden.Shape[..^1]); // (…)
        entropy.Clear();
        using (Autograd.NoGrad())
        {
            for (int i0 = 0; i0 < live.Length; i0 += chunkRows)
            {
                int n = Math.Min(chunkRows, live.Length - i0);
                using var scope = new TensorScope();
                var logits = head(GatherRows(hidden, live.AsSpan(i0, n))); // (n, V)
                var lp = GatherLogProbs(logits, TargetsOf(kept, live.AsSpan(i0, n)), temperature, ignoreIndex); // (n)
                for (int i = 0; i < n; i++) y.Data[y.Offset + live[i0 + i]] = lp.Span[i];
                if (!entropy.IsEmpty) RowEntropies(logits, 1f / temperature, live.AsSpan(i0, n), entropy);
            }
        }
        int step = chunkRows;
        return Autograd.Record(y, "chunked_gather_log_probs", [hidden], () =>
        {
            float[] g = GradArray(y);
            var gh = hidden.GradSpan; // (rows, C), taken outside the chunk scopes so that it outlives them
            for (int i0 = 0; i0 < live.Length; i0 += step)
            {
                int n = Math.Min(step, live.Length - i0);
                var sel = live.AsSpan(i0, n);
                bool any = false;
                foreach (int r in sel) any |= g[r] != 0;
                if (!any) continue;
                using var scope = new TensorScope();
                var hc = Tensor.Parameter(GatherRows(hidden, sel).ToArray(), [n, c], "chunk"); // (n, C), a leaf that takes a gradient
                var lp = GatherLogProbs(head(hc), TargetsOf(kept, sel), temperature, ignoreIndex); // (n)
                var weights = Tensor.Uninitialized([n]);
                for (int i = 0; i < n; i++) weights.Span[i] = g[sel[i]];
                Autograd.Backward(Sum(Mul(lp, weights))); // d/dθ Σ g·lp: head parameters accumulate, hc receives its rows
                var ghc = hc.Grad.AsSpan(0, hc.Size);
                for (int i = 0; i < n; i++)
                {
                    var dst = gh.Slice(sel[i] * c, c);
                    TensorPrimitives.Add(dst, ghc.Slice(i * c, c), dst);
                }
                hc.Uncount(); // a temporary leaf, not a model parameter: off the live-bytes count at once
            }
        });
    }

    // On an accelerator: only the kept rows reach the head, picked with IndexSelect on the device. Without gradient (the π_t and π_ref
    // passes) a chunk of rows at a time, each chunk's logits freed before the next; with gradient in one pass over the kept rows
    // (the device keeps their logits for the backward). The log-probs come to the host and go back to their rows, 0 elsewhere,
    // through differentiable ops; entropies are computed on the device per chunk and copied back.
    private static Tensor DeviceHeadLogProbs(Tensor hidden, Func<Tensor, Tensor> head, int[] targets, float temperature, int ignoreIndex, int chunkRows,
        Span<float> entropy)
    {
        int c = hidden.Shape[^1], rows = targets.Length;
        int[] live = [.. Enumerable.Range(0, rows).Where(r => targets[r] != ignoreIndex)];
        entropy.Clear();
        if (live.Length == 0) return Mul(ToHost(Sum(hidden, -1)), 0f); // nothing reaches the head: zeros, still on the graph
        var flat = Reshape(hidden, rows, c);
        Tensor kept; // (live), on the host
        if (!Autograd.IsGradEnabled || !hidden.RequiresGrad)
        {
            var values = new float[live.Length];
            for (int i0 = 0; i0 < live.Length; i0 += chunkRows)
            {
                int n = Math.Min(chunkRows, live.Length - i0);
                var sel = live.AsSpan(i0, n);
                using var scope = new TensorScope();
                var logits = head(IndexSelect(flat, sel)); // (n, V)
                GatherLogProbs(logits, TargetsOf(targets, sel), temperature, ignoreIndex).ToArray().CopyTo(values, i0);
                if (!entropy.IsEmpty) DeviceEntropies(logits, temperature, sel, entropy);
            }
            kept = Tensor.FromArray(values, live.Length);
        }
        else
        {
            var logits = head(IndexSelect(flat, live)); // (live, V)
            kept = ToHost(GatherLogProbs(logits, TargetsOf(targets, live), temperature, ignoreIndex));
            if (!entropy.IsEmpty) DeviceEntropies(logits, temperature, live, entropy);
        }
        var rowOf = new int[rows]; // each row's place among the kept ones, or the zero row after them
        Array.Fill(rowOf, live.Length);
        for (int i = 0; i < live.Length; i++) rowOf[live[i]] = i;
        var padded = Concat([Reshape(kept, live.Length, 1), Tensor.Zeros(1, 1)], 0); // (live + 1, 1)
        return Reshape(IndexSelect(padded, rowOf), hidden.Shape[..^1]);
    }

    // entropy[rows[i]] = −Σ p ln p of softmax(logits[i] / τ), computed on the logits' device (one row kernel).
    private static void DeviceEntropies(Tensor logits, float temperature, ReadOnlySpan<int> rows, Span<float> entropy)
    {
        var h = new float[rows.Length];
        logits.Device.RowEntropy(logits, temperature).Download(h);
        for (int i = 0; i < rows.Length; i++) entropy[rows[i]] = h[i];
    }

    // Copies rows of hidden (rows, C) into a new (n, C) tensor of the open scope.
    private static Tensor GatherRows(Tensor hidden, ReadOnlySpan<int> rows)
    {
        int c = hidden.Shape[^1];
        var x = Tensor.Uninitialized([rows.Length, c]);
        for (int i = 0; i < rows.Length; i++) hidden.Span.Slice(rows[i] * c, c).CopyTo(x.Span.Slice(i * c, c));
        return x;
    }

    private static int[] TargetsOf(int[] targets, ReadOnlySpan<int> rows)
    {
        var t = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++) t[i] = targets[rows[i]];
        return t;
    }

    // entropy[rows[i]] = −Σ p ln p of softmax(logits[i]·s), logits (n, V).
    private static void RowEntropies(Tensor logits, float s, ReadOnlySpan<int> rows, Span<float> entropy)
    {
        int v = logits.Shape[^1];
        var p = new float[v];
        for (int i = 0; i < rows.Length; i++)
        {
            var row = logits.Span.Slice(i * v, v);
            TensorPrimitives.Multiply(row, s, p);
            LogSoftmaxRow(p, p);
            double h = 0;
            for (int k = 0; k < v; k++) h -= Math.Exp(p[k]) * p[k];
            entropy[rows[i]] = (float)h;
        }
    }
}
