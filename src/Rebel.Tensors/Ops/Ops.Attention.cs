// Causal self-attention as one fused op: scores, mask, softmax and weighted sum, with grouped-query heads,
// left padding (per-row first valid key), an optional sliding window (Mistral, Gemma-2), an optional tanh soft cap on
// the scores (Gemma-2) and an optional key/value cache for decoding. Heads are read and written
// in place through strided GEMMs (no gather copies); causal calls skip the key blocks after each chunk of queries.
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
    /// A causal call with <paramref name="slidingWindow"/> W &gt; 0 also masks keys W or more positions before the query
    /// (query i sees key s only when i − s &lt; W, Hugging Face's sliding-window mask); 0 means no window.
    /// The scores are u = <paramref name="scale"/>·q·k (default 1/√D); a <paramref name="softCap"/> c &gt; 0 replaces them by
    /// c·tanh(u/c) before the mask and softmax (Gemma-2's attn_logit_softcapping). Returns (B, T, H·D).
    /// </summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, KvCache? cache = null,
        int[]? keyStart = null, bool causal = true, int slidingWindow = 0, float softCap = 0, float? scale = null)
    {
        if (q.Rank != 3 || k.Rank != 3 || v.Rank != 3 || heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0 || q.Shape[2] % heads != 0)
            throw new ArgumentException($"Attention: q {Tensor.Format(q.Shape)}, k {Tensor.Format(k.Shape)}, v {Tensor.Format(v.Shape)} with {heads} heads and {kvHeads} key/value heads are not (B, T, H·D).");
        int bsz = q.Shape[0], t = q.Shape[1], d = q.Shape[2] / heads, kvw = kvHeads * d;
        if (!k.Shape.AsSpan().SequenceEqual(v.Shape) || k.Shape[0] != bsz || k.Shape[1] != t || k.Shape[2] != kvw)
            throw new ArgumentException($"Attention: k {Tensor.Format(k.Shape)} and v {Tensor.Format(v.Shape)} must both be ({bsz}, {t}, {kvw}) for q {Tensor.Format(q.Shape)}.");
        var scores = new AttentionScores(scale ?? 1f / MathF.Sqrt(d), softCap, slidingWindow);
        if (AcceleratorOf("Attention", [q, k, v]) is { } device) return DeviceAttention(device, q, k, v, heads, kvHeads, cache, keyStart, causal, scores);
        return AttentionCore(new(q, 0, q.Shape[2]), new(k, 0, kvw), new(v, 0, kvw), [q, k, v], bsz, t, heads, kvHeads, d, cache, keyStart, causal, scores);
    }

    /// <summary>
    /// <see cref="Attention"/> on a fused projection qkv (B, T, 3·H·D) laid out [q | k | v] along the last axis (GPT-2's c_attn),
    /// read in place; the gradient lands in qkv's gradient. Returns (B, T, H·D).
    /// </summary>
    public static Tensor AttentionQkv(Tensor qkv, int heads, KvCache? cache = null, int[]? keyStart = null, bool causal = true)
    {
        if (qkv.Rank != 3 || heads <= 0 || qkv.Shape[2] % (3 * heads) != 0)
            throw new ArgumentException($"AttentionQkv: qkv {Tensor.Format(qkv.Shape)} with {heads} heads is not (B, T, 3·H·D).");
        int bsz = qkv.Shape[0], t = qkv.Shape[1], c = qkv.Shape[2] / 3;
        if (qkv.IsOnDevice) // the three parts as tensors of their own (copies on the tape), then the general op
            return Attention(Slice(qkv, 2, 0, c), Slice(qkv, 2, c, c), Slice(qkv, 2, 2 * c, c), heads, heads, cache, keyStart, causal);
        return AttentionCore(new(qkv, 0, 3 * c), new(qkv, c, 3 * c), new(qkv, 2 * c, 3 * c), [qkv], bsz, t, heads, heads, c / heads, cache, keyStart, causal,
            new AttentionScores(1f / MathF.Sqrt(c / heads), 0, 0));
    }

    // Attention on an accelerator: new keys and values go into the device cache first, the kernel reads them from there; as on the
    // host, gradients reach q and the new k, v (the cache gets none).
    private static Tensor DeviceAttention(TensorDevice device, Tensor q, Tensor k, Tensor v, int heads, int kvHeads, KvCache? cache, int[]? keyStart, bool causal,
        AttentionScores scores)
    {
        scores.Validate(causal);
        int bsz = q.Shape[0], t = q.Shape[1];
        if (keyStart is not null && keyStart.Length != bsz) throw new ArgumentException($"Attention: keyStart has {keyStart.Length} entries for batch {bsz}.");
        int keysLength = t;
        if (cache is not null)
        {
            if (cache.Batch != bsz || cache.Width != k.Shape[2]) throw new ArgumentException($"Attention: cache (batch {cache.Batch}, width {cache.Width}) does not match keys {Tensor.Format(k.Shape)}.");
            if (cache.Device != device) throw new ArgumentException($"Attention: the cache lives on {cache.Device}, the keys on {device}; make the cache with the model's device.");
            cache.AppendOnDevice(k, v, t);
            keysLength = cache.Length;
        }
        var y = new Tensor([bsz, t, q.Shape[2]], device.Attention(q, k, v, cache, keysLength, heads, kvHeads, keyStart, causal, scores.Window, scores.SoftCap, scores.Scale,
            out var saved), isParameter: false);
        return Autograd.Record(y, "attention", [q, k, v], () => device.AttentionBackward(q, k, v, heads, kvHeads, keyStart, causal, scores.Window, scores.SoftCap,
            scores.Scale, saved, y.DeviceGrad, GradIfNeeded(q), GradIfNeeded(k), GradIfNeeded(v)));
    }

    /// <summary>How raw dot products become scores: u = Scale·q·k, then SoftCap·tanh(u/SoftCap) when SoftCap &gt; 0; Window &gt; 0 limits the keys.</summary>
    private readonly record struct AttentionScores(float Scale, float SoftCap, int Window)
    {
        public void Validate(bool causal)
        {
            if (!(Scale > 0) || float.IsInfinity(Scale)) throw new ArgumentException($"Attention: score scale {Scale} must be positive and finite.");
            if (SoftCap < 0 || float.IsNaN(SoftCap) || float.IsInfinity(SoftCap)) throw new ArgumentException($"Attention: soft cap {SoftCap} must be 0 (none) or positive and finite.");
            if (Window < 0) throw new ArgumentException($"Attention: sliding window {Window} must be 0 (none) or positive.");
            if (Window > 0 && !causal) throw new ArgumentException("Attention: a sliding window needs a causal call.");
        }
    }

    /// <summary>One of q, k, v: columns [Column, Column + width) of every row of Owner, rows RowStride apart.</summary>
    private readonly record struct AttentionOperand(Tensor Owner, int Column, int RowStride)
    {
        public StridedRows Values(int t) => new(Owner.Data, Owner.Offset + Column, RowStride, t * RowStride);

        public StridedRows? Gradient(int t) => Owner.RequiresGrad ? new(GradArray(Owner), Column, RowStride, t * RowStride) : null;
    }

    /// <summary>A (B, rows, …) buffer: row r of batch b starts at Offset + b·BatchStride + r·RowStride.</summary>
    private readonly record struct StridedRows(float[] Data, int Offset, int RowStride, int BatchStride)
    {
        /// <summary>From column <paramref name="col"/> of row 0 of batch <paramref name="b"/> to the end of the buffer.</summary>
        public Span<float> At(int b, int col) => Data.AsSpan(Offset + b * BatchStride + col);
    }

    private static Tensor AttentionCore(AttentionOperand q, AttentionOperand k, AttentionOperand v, Tensor[] parents,
        int bsz, int t, int heads, int kvHeads, int d, KvCache? cache, int[]? keyStart, bool causal, AttentionScores scores)
    {
        scores.Validate(causal);
        if (keyStart is not null && keyStart.Length != bsz) throw new ArgumentException($"Attention: keyStart has {keyStart.Length} entries for batch {bsz}.");
        int past = 0, kvw = kvHeads * d, w = heads * d;
        StridedRows keys, values;
        if (cache is not null)
        {
            if (cache.Batch != bsz || cache.Width != kvw) throw new ArgumentException($"Attention: cache (batch {cache.Batch}, width {cache.Width}) does not match keys ({bsz}, {t}, {kvw}).");
            past = cache.Length;
            cache.Append(k.Values(t).At(0, 0), v.Values(t).At(0, 0), t, k.RowStride);
            keys = new(cache.Keys, 0, kvw, cache.Capacity * kvw);
            values = new(cache.Values, 0, kvw, cache.Capacity * kvw);
        }
        else
        {
            keys = k.Values(t);
            values = v.Values(t);
        }
        int probs = bsz * heads * t * (past + t);
        var plan = new AttentionPlan(bsz, t, past + t, past, heads, kvHeads, d, causal, keyStart, scores, q.Values(t), keys, values,
            TensorScope.Rent(probs, clear: false), scores.SoftCap > 0 ? TensorScope.Rent(probs, clear: false) : null);
        var y = Tensor.Uninitialized([bsz, t, w]);
        var yRows = new StridedRows(y.Data, 0, w, t * w);
        ForEachGroup(plan, (b, j, threads) => plan.Forward(b, j, yRows, threads));
        return Autograd.Record(y, "attention", parents, () =>
        {
            var gy = new StridedRows(GradArray(y), 0, w, t * w);
            StridedRows? gq = q.Gradient(t), gk = k.Gradient(t), gv = v.Gradient(t);
            ForEachGroup(plan, (b, j, threads) => plan.Backward(b, j, gy, gq, gk, gv, threads));
        });
    }

    // Runs body(b, j, allowGemmThreads) for every (batch row, key/value head); GEMMs stay single-threaded when the groups are parallel.
    private static void ForEachGroup(AttentionPlan p, Action<int, int, bool> body)
    {
        int n = p.Batch * p.KvHeads;
        long work = (long)p.Batch * p.Heads * p.T * p.S * p.D;
        if (n == 1 || work < 32_768) { for (int i = 0; i < n; i++) body(i / p.KvHeads, i % p.KvHeads, true); }
        else WorkerTeam.For(n, i => body(i / p.KvHeads, i % p.KvHeads, false));
    }

    /// <summary>
    /// Geometry and saved state of one attention call; Forward/Backward work on one (batch row, key/value head).
    /// Probs holds the softmax (B, H, T, S); Capped, with a soft cap only, holds tanh(u/c) of the live scores (0 elsewhere).
    /// </summary>
    private sealed record AttentionPlan(int Batch, int T, int S, int Past, int Heads, int KvHeads, int D, bool Causal, int[]? KeyStart,
        AttentionScores Scores, StridedRows Queries, StridedRows Keys, StridedRows Values, float[] Probs, float[]? Capped)
    {
        /// <summary>Queries per causal chunk (two AVX-512 register tiles of rows): each chunk only scores the keys it can see.</summary>
        private const int QueryChunk = 28;

        // Few queries (decoding): dot products straight from the key/value rows, no GEMM packing.
        private const int DirectMaxQueries = 4;

        private int Group => Heads / KvHeads;

        private int Chunk => Causal ? QueryChunk : T;

        // First key query t of row b sees: after the left padding and, with a window W, after position Past + t − W.
        private int FirstKey(int b, int t)
        {
            int first = KeyStart is null ? 0 : KeyStart[b];
            return Scores.Window > 0 ? Math.Max(first, Past + t - Scores.Window + 1) : first;
        }

        private int LastKey(int t) => Causal ? Math.Min(S - 1, Past + t) : S - 1;

        /// <summary>Causal key counts are rounded up to this (the AVX-512 GEMM tile width): a few masked scores more, no partial tiles.</summary>
        private const int KeyAlign = 32;

        // Keys [0, n) scored for queries [0, end): every key they may see, rounded up (the extra ones are masked);
        // the rest of their score rows is never read.
        private int KeyCount(int end) => Causal ? Math.Min(S, (Past + end + KeyAlign - 1) / KeyAlign * KeyAlign) : S;

        public void Forward(int b, int j, StridedRows y, bool threads)
        {
            if (T <= DirectMaxQueries) { ForwardDirect(b, j, y); return; }
            var keys = Keys.At(b, j * D); var values = Values.At(b, j * D); // rows (S, D), strided
            for (int g = 0; g < Group; g++)
            {
                int h = j * Group + g;
                var qh = Queries.At(b, h * D); var yh = y.At(b, h * D); // rows (T, D), strided
                var p = Probs.AsSpan((b * Heads + h) * T * S, T * S); // (T, S)
                for (int t0 = 0; t0 < T; t0 += Chunk)
                {
                    int rows = Math.Min(Chunk, T - t0), n = KeyCount(t0 + rows);
                    var pc = p[(t0 * S)..]; // (rows, S), columns [0, n) used
                    Gemm.MultiplyStrided(qh[(t0 * Queries.RowStride)..], Queries.RowStride, keys, Keys.RowStride, pc, S,
                        rows, n, D, transB: true, allowThreads: threads);
                    for (int i = 0; i < rows; i++) MaskedSoftmax(pc.Slice(i * S, n), CappedRow(b, h, t0 + i, n), FirstKey(b, t0 + i), LastKey(t0 + i));
                    Gemm.MultiplyStrided(pc, S, values, Values.RowStride, yh[(t0 * y.RowStride)..], y.RowStride, rows, D, n, allowThreads: threads);
                }
            }
        }

        private void ForwardDirect(int b, int j, StridedRows y)
        {
            var keys = Keys.At(b, j * D); var values = Values.At(b, j * D);
            for (int g = 0; g < Group; g++)
            {
                int h = j * Group + g;
                var qh = Queries.At(b, h * D); var yh = y.At(b, h * D);
                for (int t = 0; t < T; t++)
                {
                    var p = Probs.AsSpan(((b * Heads + h) * T + t) * S, S);
                    var qt = qh.Slice(t * Queries.RowStride, D);
                    int first = FirstKey(b, t), last = LastKey(t);
                    AttentionKernels.Scores(qt, keys, Keys.RowStride, first, last, p);
                    MaskedSoftmax(p, CappedRow(b, h, t, S), first, last);
                    AttentionKernels.WeightedSum(p, values, Values.RowStride, first, last, yh.Slice(t * y.RowStride, D));
                }
            }
        }

        // Query t of head h, row b: its saved tanh(u/c) row (first n keys), or empty without a soft cap.
        private Span<float> CappedRow(int b, int h, int t, int n) => Capped is null ? default : Capped.AsSpan(((b * Heads + h) * T + t) * S, n);

        // Raw dot products → probabilities over keys [first, last]: u = scale·x, optionally c·tanh(u/c) (tanh saved in capped), softmax.
        private void MaskedSoftmax(Span<float> row, Span<float> capped, int first, int last)
        {
            capped.Clear();
            if (first > last) { row.Clear(); return; }
            var live = row[first..(last + 1)];
            if (Scores.SoftCap > 0)
            {
                var th = capped[first..(last + 1)];
                TensorPrimitives.Multiply(live, Scores.Scale / Scores.SoftCap, th);
                TanhFast(th, th);
                TensorPrimitives.Multiply(th, Scores.SoftCap, live);
            }
            else TensorPrimitives.Multiply(live, Scores.Scale, live);
            SoftmaxRow(live, live);
            row[..first].Clear();
            row[(last + 1)..].Clear();
        }

        public void Backward(int b, int j, StridedRows gy, StridedRows? gq, StridedRows? gk, StridedRows? gv, bool threads)
        {
            var pool = ArrayPool<float>.Shared;
            var dk = pool.Rent(S * D); var dv = pool.Rent(S * D); var ds = pool.Rent(Math.Min(Chunk, T) * S);
            try
            {
                Array.Clear(dk, 0, S * D); Array.Clear(dv, 0, S * D); // (S, D) each
                var keys = Keys.At(b, j * D); var values = Values.At(b, j * D); // rows (S, D), strided
                for (int g = 0; g < Group; g++)
                {
                    int h = j * Group + g;
                    var qh = Queries.At(b, h * D); var gyh = gy.At(b, h * D); // rows (T, D), strided
                    var p = Probs.AsSpan((b * Heads + h) * T * S, T * S); // (T, S)
                    for (int t0 = 0; t0 < T; t0 += Chunk)
                    {
                        int rows = Math.Min(Chunk, T - t0), n = KeyCount(t0 + rows);
                        var pc = p[(t0 * S)..]; var dsc = ds.AsSpan(0, rows * n); // (rows, S) of which [0, n); (rows, n)
                        var gyc = gyh[(t0 * gy.RowStride)..]; var qc = qh[(t0 * Queries.RowStride)..];
                        Gemm.MultiplyStrided(pc, S, gyc, gy.RowStride, dv, D, n, D, rows, transA: true, accumulate: true, allowThreads: threads); // dV += Pᵀ·dO
                        Gemm.MultiplyStrided(gyc, gy.RowStride, values, Values.RowStride, dsc, n, rows, n, D, transB: true, allowThreads: threads); // dP = dO·Vᵀ
                        for (int i = 0; i < rows; i++)
                        {
                            var pr = pc.Slice(i * S, n); var dr = dsc.Slice(i * n, n);
                            float dot = TensorPrimitives.Dot(pr, dr);
                            TensorPrimitives.Subtract(dr, dot, dr);
                            TensorPrimitives.Multiply(dr, pr, dr); // dZ = P ⊙ (dP − ⟨P, dP⟩), Z the (capped) scores
                            if (Capped is not null) SoftCapBackward(dr, CappedRow(b, h, t0 + i, n)); // dU = dZ ⊙ (1 − tanh²)
                            TensorPrimitives.Multiply(dr, Scores.Scale, dr); // dS = dU · scale
                        }
                        if (gq is { } gqr)
                            Gemm.MultiplyStrided(dsc, n, keys, Keys.RowStride, gqr.At(b, h * D)[(t0 * gqr.RowStride)..], gqr.RowStride,
                                rows, D, n, accumulate: true, allowThreads: threads); // dQ += dS·K
                        Gemm.MultiplyStrided(dsc, n, qc, Queries.RowStride, dk, D, n, D, rows, transA: true, accumulate: true, allowThreads: threads); // dK += dSᵀ·Q
                    }
                }
                // Only the new positions [Past, S) belong to this call's k and v.
                if (gk is { } gkr) ScatterRowsAdd(dk.AsSpan(Past * D, T * D), gkr.At(b, j * D), T, gkr.RowStride, D);
                if (gv is { } gvr) ScatterRowsAdd(dv.AsSpan(Past * D, T * D), gvr.At(b, j * D), T, gvr.RowStride, D);
            }
            finally
            {
                pool.Return(dk); pool.Return(dv); pool.Return(ds);
            }
        }

        // Z = c·tanh(U/c): dU = dZ ⊙ (1 − tanh²(U/c)).
        private static void SoftCapBackward(Span<float> dz, ReadOnlySpan<float> tanh)
        {
            for (int s = 0; s < dz.Length; s++) dz[s] *= 1f - tanh[s] * tanh[s];
        }

        // dst row i (rowStride apart) += src row i (dense n × d).
        private static void ScatterRowsAdd(ReadOnlySpan<float> src, Span<float> dst, int n, int rowStride, int d)
        {
            for (int i = 0; i < n; i++)
            {
                var target = dst.Slice(i * rowStride, d);
                TensorPrimitives.Add(target, src.Slice(i * d, d), target);
            }
        }
    }
}
