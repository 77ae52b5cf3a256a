// Causal self-attention as one fused op: scores, mask, softmax and weighted sum, with grouped-query heads,
// left padding (per-row first valid key) and an optional key/value cache for decoding.
using System.Buffers;
using System.Numerics.Tensors;
using Rebel.Tensors.Kernels;

namespace Rebel.Tensors;

public static partial class Ops
{
    /// <summary>
    /// softmax(Q·Kᵀ/√D + mask)·V per head. q (B, T, H·D); k, v (B, T, Hkv·D) with H a multiple of Hkv (grouped-query).
    /// With <paramref name="cache"/>, k and v are appended to it first and the T queries attend to all cached positions
    /// (query t sits at position cache.Length + t); gradients reach q and the new k, v only.
    /// Key s is masked for batch row b when s &lt; <paramref name="keyStart"/>[b] (left padding) or, if causal, when s is after the query.
    /// Returns (B, T, H·D).
    /// </summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, KvCache? cache = null,
        int[]? keyStart = null, bool causal = true)
    {
        if (q.Rank != 3 || k.Rank != 3 || v.Rank != 3 || heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0 || q.Shape[2] % heads != 0)
            throw new ArgumentException($"Attention: q {Tensor.Format(q.Shape)}, k {Tensor.Format(k.Shape)}, v {Tensor.Format(v.Shape)} with {heads} heads and {kvHeads} key/value heads are not (B, T, H·D).");
        int bsz = q.Shape[0], t = q.Shape[1], d = q.Shape[2] / heads, kvw = kvHeads * d;
        if (!k.Shape.AsSpan().SequenceEqual(v.Shape) || k.Shape[0] != bsz || k.Shape[1] != t || k.Shape[2] != kvw)
            throw new ArgumentException($"Attention: k {Tensor.Format(k.Shape)} and v {Tensor.Format(v.Shape)} must both be ({bsz}, {t}, {kvw}) for q {Tensor.Format(q.Shape)}.");
        if (keyStart is not null && keyStart.Length != bsz) throw new ArgumentException($"Attention: keyStart has {keyStart.Length} entries for batch {bsz}.");
        int past = 0;
        float[] keys, values;
        int kOffset, vOffset, batchStride;
        if (cache is not null)
        {
            if (cache.Batch != bsz || cache.Width != kvw) throw new ArgumentException($"Attention: cache (batch {cache.Batch}, width {cache.Width}) does not match k {Tensor.Format(k.Shape)}.");
            past = cache.Length;
            cache.Append(k.Span, v.Span, t);
            keys = cache.Keys; values = cache.Values; kOffset = vOffset = 0; batchStride = cache.Capacity * kvw;
        }
        else
        {
            keys = k.Data; values = v.Data; kOffset = k.Offset; vOffset = v.Offset; batchStride = t * kvw;
        }
        var plan = new AttentionPlan(bsz, t, past + t, past, heads, kvHeads, d, causal, keyStart,
            keys, kOffset, values, vOffset, batchStride, TensorScope.Rent(bsz * heads * t * (past + t), clear: false));
        var y = Tensor.Uninitialized(q.Shape);
        var qData = q.Data; int qOffset = q.Offset; var yData = y.Data;
        ForEachGroup(plan, (b, j) => plan.Forward(b, j, qData, qOffset, yData));
        return Autograd.Record(y, "attention", [q, k, v], () =>
        {
            var gq = q.RequiresGrad ? q.GradSpan : default;
            var gk = k.RequiresGrad ? k.GradSpan : default;
            var gv = v.RequiresGrad ? v.GradSpan : default;
            var gqArr = gq.IsEmpty ? null : GradArray(q); var gkArr = gk.IsEmpty ? null : GradArray(k); var gvArr = gv.IsEmpty ? null : GradArray(v);
            var gy = GradArray(y);
            ForEachGroup(plan, (b, j) => plan.Backward(b, j, qData, qOffset, gy, gqArr, gkArr, gvArr));
        });
    }

    private static float[] GradArray(Tensor x)
    {
        _ = x.GradSpan;
        return x.Grad!;
    }

    private static void ForEachGroup(AttentionPlan p, Action<int, int> body)
    {
        int n = p.Batch * p.KvHeads;
        long work = (long)p.Batch * p.Heads * p.T * p.S * p.D;
        if (n == 1 || work < 32_768) { for (int i = 0; i < n; i++) body(i / p.KvHeads, i % p.KvHeads); }
        else Parallel.For(0, n, i => body(i / p.KvHeads, i % p.KvHeads));
    }

    /// <summary>Geometry and saved state of one attention call; Forward/Backward work on one (batch row, key/value head).</summary>
    private sealed record AttentionPlan(int Batch, int T, int S, int Past, int Heads, int KvHeads, int D, bool Causal, int[]? KeyStart,
        float[] Keys, int KeyOffset, float[] Values, int ValueOffset, int BatchStride, float[] Probs)
    {
        private int Group => Heads / KvHeads;

        private int FirstKey(int b) => KeyStart is null ? 0 : KeyStart[b];

        private int LastKey(int t) => Causal ? Math.Min(S - 1, Past + t) : S - 1;

        // Copies rows (n × D) of head h from a (…, rows, heads·D) buffer into a dense (n × D) block.
        private static void GatherHead(ReadOnlySpan<float> src, Span<float> dst, int n, int rowStride, int col, int d)
        {
            for (int i = 0; i < n; i++) src.Slice(i * rowStride + col, d).CopyTo(dst.Slice(i * d, d));
        }

        private static void ScatterHeadAdd(ReadOnlySpan<float> src, Span<float> dst, int n, int rowStride, int col, int d)
        {
            for (int i = 0; i < n; i++)
            {
                var target = dst.Slice(i * rowStride + col, d);
                TensorPrimitives.Add(target, src.Slice(i * d, d), target);
            }
        }

        public void Forward(int b, int j, float[] q, int qOffset, float[] y)
        {
            if (T <= DirectMaxQueries) { ForwardDirect(b, j, q, qOffset, y); return; }
            int w = Heads * D, kvw = KvHeads * D;
            float scale = 1f / MathF.Sqrt(D);
            var pool = ArrayPool<float>.Shared;
            var kh = pool.Rent(S * D); var vh = pool.Rent(S * D); var qh = pool.Rent(T * D); var oh = pool.Rent(T * D);
            try
            {
                GatherHead(Keys.AsSpan(KeyOffset + b * BatchStride), kh, S, kvw, j * D, D);
                GatherHead(Values.AsSpan(ValueOffset + b * BatchStride), vh, S, kvw, j * D, D);
                for (int g = 0; g < Group; g++)
                {
                    int h = j * Group + g;
                    GatherHead(q.AsSpan(qOffset + b * T * w), qh, T, w, h * D, D);
                    var p = Probs.AsSpan(((b * Heads) + h) * T * S, T * S); // (T, S)
                    Gemm.Multiply(qh.AsSpan(0, T * D), kh.AsSpan(0, S * D), p, T, S, D, false, true);
                    for (int t = 0; t < T; t++) MaskedSoftmax(p.Slice(t * S, S), FirstKey(b), LastKey(t), scale);
                    Gemm.Multiply(p, vh.AsSpan(0, S * D), oh.AsSpan(0, T * D), T, D, S);
                    for (int t = 0; t < T; t++) oh.AsSpan(t * D, D).CopyTo(y.AsSpan((b * T + t) * w + h * D, D));
                }
            }
            finally
            {
                pool.Return(kh); pool.Return(vh); pool.Return(qh); pool.Return(oh);
            }
        }

        // Few queries (decoding): dot products straight from the key/value rows, no gather and no GEMM packing.
        private const int DirectMaxQueries = 4;

        private void ForwardDirect(int b, int j, float[] q, int qOffset, float[] y)
        {
            int w = Heads * D, kvw = KvHeads * D;
            float scale = 1f / MathF.Sqrt(D);
            var keys = Keys.AsSpan(KeyOffset + b * BatchStride); var values = Values.AsSpan(ValueOffset + b * BatchStride);
            for (int g = 0; g < Group; g++)
            {
                int h = j * Group + g;
                for (int t = 0; t < T; t++)
                {
                    var p = Probs.AsSpan((((b * Heads) + h) * T + t) * S, S);
                    var qt = q.AsSpan(qOffset + (b * T + t) * w + h * D, D);
                    int first = FirstKey(b), last = LastKey(t);
                    for (int s = first; s <= last; s++) p[s] = TensorPrimitives.Dot(qt, keys.Slice(s * kvw + j * D, D));
                    MaskedSoftmax(p, first, last, scale);
                    var yt = y.AsSpan((b * T + t) * w + h * D, D);
                    yt.Clear();
                    for (int s = first; s <= last; s++) TensorPrimitives.MultiplyAdd(values.Slice(s * kvw + j * D, D), p[s], yt, yt);
                }
            }
        }

        private static void MaskedSoftmax(Span<float> row, int first, int last, float scale)
        {
            if (first > last) { row.Clear(); return; }
            var live = row[first..(last + 1)];
            TensorPrimitives.Multiply(live, scale, live);
            SoftmaxRow(live, live);
            row[..first].Clear();
            row[(last + 1)..].Clear();
        }

        public void Backward(int b, int j, float[] q, int qOffset, float[] gy, float[]? gq, float[]? gk, float[]? gv)
        {
            int w = Heads * D, kvw = KvHeads * D;
            float scale = 1f / MathF.Sqrt(D);
            var pool = ArrayPool<float>.Shared;
            var kh = pool.Rent(S * D); var vh = pool.Rent(S * D); var qh = pool.Rent(T * D); var goh = pool.Rent(T * D);
            var dk = pool.Rent(S * D); var dv = pool.Rent(S * D); var dq = pool.Rent(T * D); var ds = pool.Rent(T * S);
            try
            {
                Array.Clear(dk, 0, S * D); Array.Clear(dv, 0, S * D);
                GatherHead(Keys.AsSpan(KeyOffset + b * BatchStride), kh, S, kvw, j * D, D);
                GatherHead(Values.AsSpan(ValueOffset + b * BatchStride), vh, S, kvw, j * D, D);
                for (int g = 0; g < Group; g++)
                {
                    int h = j * Group + g;
                    GatherHead(q.AsSpan(qOffset + b * T * w), qh, T, w, h * D, D);
                    GatherHead(gy.AsSpan(b * T * w), goh, T, w, h * D, D);
                    var p = Probs.AsSpan(((b * Heads) + h) * T * S, T * S);
                    var dsv = ds.AsSpan(0, T * S);
                    Gemm.Multiply(p, goh.AsSpan(0, T * D), dv.AsSpan(0, S * D), S, D, T, transA: true, accumulate: true);
                    Gemm.Multiply(goh.AsSpan(0, T * D), vh.AsSpan(0, S * D), dsv, T, S, D, false, true); // dP
                    for (int t = 0; t < T; t++)
                    {
                        var pr = p.Slice(t * S, S); var dr = dsv.Slice(t * S, S);
                        float dot = TensorPrimitives.Dot(pr, dr);
                        TensorPrimitives.Subtract(dr, dot, dr);
                        TensorPrimitives.Multiply(dr, pr, dr);
                        TensorPrimitives.Multiply(dr, scale, dr); // dS = P ⊙ (dP − ⟨P, dP⟩) / √D
                    }
                    if (gq is not null)
                    {
                        Gemm.Multiply(dsv, kh.AsSpan(0, S * D), dq.AsSpan(0, T * D), T, D, S);
                        ScatterHeadAdd(dq.AsSpan(0, T * D), gq.AsSpan(b * T * w), T, w, h * D, D);
                    }
                    Gemm.Multiply(dsv, qh.AsSpan(0, T * D), dk.AsSpan(0, S * D), S, D, T, transA: true, accumulate: true);
                }
                // Only the new positions [Past, S) belong to this call's k and v.
                if (gk is not null) ScatterHeadAdd(dk.AsSpan(Past * D, T * D), gk.AsSpan(b * T * kvw), T, kvw, j * D, D);
                if (gv is not null) ScatterHeadAdd(dv.AsSpan(Past * D, T * D), gv.AsSpan(b * T * kvw), T, kvw, j * D, D);
            }
            finally
            {
                pool.Return(kh); pool.Return(vh); pool.Return(qh); pool.Return(goh);
                pool.Return(dk); pool.Return(dv); pool.Return(dq); pool.Return(ds);
            }
        }
    }
}
