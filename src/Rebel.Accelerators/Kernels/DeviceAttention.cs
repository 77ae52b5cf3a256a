// Self-attention on a device, everything the engine's Ops.Attention does, composed of the primitives (STYLE.md habit 3: a fused
// kernel only once a benchmark on a GPU says so, tested against this composite): heads split by a transpose, scores by
// strided-batched GEMM, the attention softmax kernel (scale or soft cap, causal or not, left padding, sliding window, cached keys
// before the queries), the weighted sum by GEMM, heads merged back. The backward runs the same pieces in reverse.
//
// Grouped-query heads need no copies: query head h = j·G + g uses key/value head j (G = H / Hkv), so the query heads (B, H, T, D)
// are, as they lie in memory, B·Hkv blocks of G·T rows, each block multiplying its own key/value head (B·Hkv, S, D).
//
// Keys and values are (B, S, Hkv·D) buffers holding S − T cached positions followed by the T new ones (the engine's KvCache on
// the device holds them; AcceleratorDevice gathers its filled part), and the queries sit at positions S − T … S − 1. Gradients go
// to the whole (B, S, Hkv·D) keys/values, or, for buffers of (B, T, Hkv·D), to the new positions only (the engine's contract: a
// cache gets no gradient).
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

/// <summary>What the backward of <see cref="DeviceAttention"/> needs: the heads of q (B, H, T, D), k and v (B, Hkv, S, D), the weights (B, H, T, S).</summary>
public sealed class AttentionSaved : IDisposable
{
    internal AttentionSaved(DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, DeviceBuffer weights, DeviceBuffer? capped, float scale, int heads, int kvHeads)
    {
        Q = q; K = k; V = v; Weights = weights; Capped = capped; Scale = scale; Heads = heads; KvHeads = kvHeads;
    }

    internal DeviceBuffer Q { get; }

    internal DeviceBuffer K { get; }

    internal DeviceBuffer V { get; }

    /// <summary>The attention weights softmax(mask(scale·Q·Kᵀ)), (B, H, T, S).</summary>
    public DeviceBuffer Weights { get; }

    // tanh(scale·Q·Kᵀ / cap) with a soft cap, else null.
    internal DeviceBuffer? Capped { get; }

    internal float Scale { get; }

    /// <summary>Query heads H.</summary>
    public int Heads { get; }

    /// <summary>Key/value heads Hkv (H is a multiple of it).</summary>
    public int KvHeads { get; }

    internal int Batch => Q.Shape[0];

    internal int T => Q.Shape[2];

    internal int S => K.Shape[2];

    internal int D => Q.Shape[3];

    /// <summary>Frees the saved buffers.</summary>
    public void Dispose()
    {
        Q.Dispose(); K.Dispose(); V.Dispose(); Weights.Dispose(); Capped?.Dispose();
    }
}

/// <summary>Multi-head self-attention softmax(mask(Q·Kᵀ·scale))·V on an accelerator, forward and backward, as <see cref="Ops.Attention"/>.</summary>
public static class DeviceAttention
{
    /// <summary>Causal attention with equal query and key/value heads: q, k, v (B, T, H·D) → (B, T, H·D).</summary>
    public static (DeviceBuffer Output, AttentionSaved Saved) Forward(AcceleratorDevice device, DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, int heads) =>
        Forward(device, q, k, v, heads, heads);

    /// <summary>
    /// <see cref="Ops.Attention"/> on the device. q (B, T, H·D); keys and values (B, S, Hkv·D) with S ≥ T: the S − T cached
    /// positions, then the T new ones (S = T without a cache); H a multiple of Hkv. Key s is masked for batch row b when
    /// s &lt; <paramref name="keyStart"/>[b] (left padding), when causal and s is after the query (query t sits at position
    /// S − T + t), and with a sliding window W &gt; 0 (causal only) when it lies W or more positions before the query. Scores are
    /// u = <paramref name="scale"/>·q·k (default 1/√D), replaced by c·tanh(u/c) for a <paramref name="softCap"/> c &gt; 0.
    /// A query without a live key outputs 0. Returns (B, T, H·D) and what the backward needs.
    /// </summary>
    public static (DeviceBuffer Output, AttentionSaved Saved) Forward(AcceleratorDevice device, DeviceBuffer q, DeviceBuffer keys, DeviceBuffer values,
        int heads, int kvHeads, int[]? keyStart = null, bool causal = true, int slidingWindow = 0, float softCap = 0f, float? scale = null)
    {
        var (b, t, s, d) = Check("Attention", device, q, keys, values, heads, kvHeads);
        var kernels = device.Kernels;
        int group = heads / kvHeads;
        var qh = SplitHeads(kernels, q, heads, d); // (B, H, T, D) = (B·Hkv, G·T, D)
        var kh = SplitHeads(kernels, keys, kvHeads, d); var vh = SplitHeads(kernels, values, kvHeads, d); // (B, Hkv, S, D)
        float sc = scale ?? 1f / MathF.Sqrt(d);
        DeviceBuffer weights;
        DeviceBuffer? capped;
        using (var scores = device.Allocate(b, heads, t, s))
        {
            device.Gemm.MultiplyBatched(qh, kh, scores, b * kvHeads, group * t, s, d, transB: true); // Q·Kᵀ
            (weights, capped) = kernels.AttentionSoftmax(scores, sc, causal, keyStart, slidingWindow, softCap);
        }
        using var oh = device.Allocate(b, heads, t, d);
        device.Gemm.MultiplyBatched(weights, vh, oh, b * kvHeads, group * t, d, s); // P·V
        var output = device.Allocate(q.Shape);
        using (var merged = output.Reshape(b, t, heads, d)) kernels.TransposeInto(oh, merged, 1, 2);
        return (output, new AttentionSaved(qh, kh, vh, weights, capped, sc, heads, kvHeads));
    }

    /// <summary>Backward of <see cref="Forward(AcceleratorDevice, DeviceBuffer, DeviceBuffer, DeviceBuffer, int)"/>, naming the heads again (checked against the saved ones).</summary>
    public static void Backward(AcceleratorDevice device, AttentionSaved saved, DeviceBuffer g, DeviceBuffer? gq, DeviceBuffer? gk, DeviceBuffer? gv, int heads)
    {
        if (heads != saved.Heads) throw new ArgumentException($"AttentionBackward: {heads} heads, but the forward pass ran with {saved.Heads}.");
        Backward(device, saved, g, gq, gk, gv);
    }

    /// <summary>
    /// Backward of <see cref="Forward(AcceleratorDevice, DeviceBuffer, DeviceBuffer, DeviceBuffer, int, int, int[], bool, int, float, float?)"/>:
    /// gq (B, T, H·D) and gk, gv (null to skip) += the gradients of the output's gradient g (B, T, H·D). gk and gv are either
    /// (B, S, Hkv·D), the gradient of the whole keys/values, or (B, T, Hkv·D), that of the T new positions only.
    /// </summary>
    public static void Backward(AcceleratorDevice device, AttentionSaved saved, DeviceBuffer g, DeviceBuffer? gq, DeviceBuffer? gk, DeviceBuffer? gv)
    {
        int b = saved.Batch, t = saved.T, s = saved.S, d = saved.D, heads = saved.Heads, kvHeads = saved.KvHeads, group = heads / kvHeads;
        RequireShape(device, g, "gradient", b, t, heads * d);
        if (gq is not null) RequireShape(device, gq, "query gradient", b, t, heads * d);
        if (gk is not null) RequireKvGradient(device, gk, "key gradient", b, t, s, kvHeads * d);
        if (gv is not null) RequireKvGradient(device, gv, "value gradient", b, t, s, kvHeads * d);
        var kernels = device.Kernels;
        var gemm = device.Gemm;
        int blocks = b * kvHeads, rows = group * t; // per key/value head: its G query heads' rows
        using var go = SplitHeads(kernels, g, heads, d); // (B, H, T, D)
        if (gv is not null)
        {
            using var gvh = device.Allocate(b, kvHeads, s, d);
            gemm.MultiplyBatched(saved.Weights, go, gvh, blocks, s, d, rows, transA: true); // dV = Pᵀ·dO, summed over the group
            MergeHeadsInto(kernels, gvh, gv, kvHeads, d);
        }
        if (gq is null && gk is null) return;
        using var gs = device.Allocate(b, heads, t, s);
        using (var gp = device.Allocate(b, heads, t, s))
        {
            gemm.MultiplyBatched(go, saved.V, gp, blocks, rows, s, d, transB: true); // dP = dO·Vᵀ
            kernels.AttentionSoftmaxBackward(saved.Weights, saved.Capped, gp, gs, saved.Scale); // dS = scale·P ⊙ (dP − Σ dP ⊙ P) ⊙ (1 − tanh²)
        }
        if (gq is not null)
        {
            using var gqh = device.Allocate(b, heads, t, d);
            gemm.MultiplyBatched(gs, saved.K, gqh, blocks, rows, d, s); // dQ = dS·K
            MergeHeadsInto(kernels, gqh, gq, heads, d);
        }
        if (gk is not null)
        {
            using var gkh = device.Allocate(b, kvHeads, s, d);
            gemm.MultiplyBatched(gs, saved.Q, gkh, blocks, s, d, rows, transA: true); // dK = dSᵀ·Q, summed over the group
            MergeHeadsInto(kernels, gkh, gk, kvHeads, d);
        }
    }

    private static (int B, int T, int S, int D) Check(string op, AcceleratorDevice device, DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, int heads, int kvHeads)
    {
        if (q.Shape.Length != 3 || k.Shape.Length != 3 || heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0 || q.Shape[2] % heads != 0)
            throw new ArgumentException($"{op}: q {Tensor.Format(q.Shape)}, k {Tensor.Format(k.Shape)}, v {Tensor.Format(v.Shape)} with {heads} heads and {kvHeads} key/value heads are not (B, T, H·D) and (B, S, Hkv·D).");
        int b = q.Shape[0], t = q.Shape[1], d = q.Shape[2] / heads, s = k.Shape[1];
        RequireShape(device, q, "q", b, t, heads * d);
        if (s < t) throw new ArgumentException($"{op}: keys {Tensor.Format(k.Shape)} hold fewer positions than the {t} queries of q {Tensor.Format(q.Shape)}.");
        RequireShape(device, k, "keys", b, s, kvHeads * d);
        RequireShape(device, v, "values", b, s, kvHeads * d);
        return (b, t, s, d);
    }

    private static void RequireShape(AcceleratorDevice device, DeviceBuffer x, string name, int b, int rows, int width)
    {
        if (x.Device != device) throw new ArgumentException($"Attention: {name} {x} lives on {x.Device}, the attention runs on {device}; move it explicitly first.");
        if (x.Shape.Length != 3 || x.Shape[0] != b || x.Shape[1] != rows || x.Shape[2] != width)
            throw new ArgumentException($"Attention: {name} {Tensor.Format(x.Shape)} must be ({b}, {rows}, {width}).");
    }

    // A key/value gradient: (B, S, W) for the whole buffer or (B, T, W) for the new positions.
    private static void RequireKvGradient(AcceleratorDevice device, DeviceBuffer x, string name, int b, int t, int s, int width)
    {
        if (x.Shape.Length == 3 && x.Shape[1] == t) RequireShape(device, x, name, b, t, width);
        else RequireShape(device, x, name, b, s, width);
    }

    // (B, T, H·D) → a new (B, H, T, D).
    private static DeviceBuffer SplitHeads(DeviceKernels kernels, DeviceBuffer x, int heads, int d)
    {
        using var view = x.Reshape(x.Shape[0], x.Shape[1], heads, d);
        return kernels.Transpose(view, 1, 2);
    }

    // gx (B, R, H·D) += gh (B, H, S, D) with the heads merged back; with R < S, only gh's last R positions (the new keys/values).
    private static void MergeHeadsInto(DeviceKernels kernels, DeviceBuffer gh, DeviceBuffer gx, int heads, int d)
    {
        int s = gh.Shape[2], r = gx.Shape[1];
        using var tail = r < s ? kernels.Slice(gh, 2, s - r, r) : null;
        using var view = gx.Reshape(gx.Shape[0], r, heads, d);
        kernels.TransposeBackward(tail ?? gh, view, 1, 2);
    }
}
