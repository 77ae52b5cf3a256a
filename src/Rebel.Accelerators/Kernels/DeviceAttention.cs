// Causal self-attention on a device, composed of the primitives (STYLE.md habit 3: a fused kernel only once a benchmark on a GPU
// says so, tested against this composite): heads split by a transpose, scores by strided-batched GEMM, the masked softmax
// kernel, the weighted sum by GEMM, heads merged back. The backward runs the same pieces in reverse.
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

/// <summary>What the backward of <see cref="DeviceAttention"/> needs: the heads of q, k, v (B, H, T, D) and the attention weights (B, H, T, T).</summary>
public sealed class AttentionSaved : IDisposable
{
    internal AttentionSaved(DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, DeviceBuffer weights, float scale)
    {
        Q = q; K = k; V = v; Weights = weights; Scale = scale;
    }

    internal DeviceBuffer Q { get; }

    internal DeviceBuffer K { get; }

    internal DeviceBuffer V { get; }

    /// <summary>softmax(scale·Q·Kᵀ + causal mask), (B, H, T, T).</summary>
    public DeviceBuffer Weights { get; }

    internal float Scale { get; }

    /// <summary>Frees the saved buffers.</summary>
    public void Dispose()
    {
        Q.Dispose(); K.Dispose(); V.Dispose(); Weights.Dispose();
    }
}

/// <summary>Causal multi-head self-attention softmax(Q·Kᵀ/√D + mask)·V on an accelerator, forward and backward.</summary>
public static class DeviceAttention
{
    /// <summary>q, k, v (B, T, H·D) → (B, T, H·D), each query seeing the keys at and before its position.</summary>
    public static (DeviceBuffer Output, AttentionSaved Saved) Forward(AcceleratorDevice device, DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, int heads)
    {
        var (b, t, d) = Check("Attention", q, k, v, heads);
        var kernels = device.Kernels;
        var qh = SplitHeads(kernels, q, heads, d); var kh = SplitHeads(kernels, k, heads, d); var vh = SplitHeads(kernels, v, heads, d); // (B, H, T, D)
        float scale = 1f / MathF.Sqrt(d);
        DeviceBuffer weights;
        using (var scores = device.Allocate(b, heads, t, t))
        {
            device.Gemm.MultiplyBatched(qh, kh, scores, b * heads, t, t, d, transB: true); // Q·Kᵀ
            weights = kernels.MaskedSoftmax(scores, scale, causal: true);
        }
        using var oh = device.Allocate(b, heads, t, d);
        device.Gemm.MultiplyBatched(weights, vh, oh, b * heads, t, d, t); // P·V
        var output = device.Allocate(q.Shape);
        using (var merged = output.Reshape(b, t, heads, d)) kernels.TransposeInto(oh, merged, 1, 2);
        return (output, new AttentionSaved(qh, kh, vh, weights, scale));
    }

    /// <summary>Backward of <see cref="Forward"/>: gq, gk, gv (B, T, H·D; null to skip) += the gradients of the output's gradient g.</summary>
    public static void Backward(AcceleratorDevice device, AttentionSaved saved, DeviceBuffer g, DeviceBuffer? gq, DeviceBuffer? gk, DeviceBuffer? gv, int heads)
    {
        var (b, t, d) = Check("AttentionBackward", g, gq ?? g, gk ?? g, heads);
        if (gv is not null) Check("AttentionBackward", g, gv, gv, heads);
        var kernels = device.Kernels;
        var gemm = device.Gemm;
        int bh = b * heads;
        using var go = SplitHeads(kernels, g, heads, d); // (B, H, T, D)
        if (gv is not null)
        {
            using var gvh = device.Allocate(b, heads, t, d);
            gemm.MultiplyBatched(saved.Weights, go, gvh, bh, t, d, t, transA: true); // dV = Pᵀ·dO
            MergeHeadsInto(kernels, gvh, gv, heads, d);
        }
        if (gq is null && gk is null) return;
        using var gs = device.Allocate(b, heads, t, t);
        using (var gp = device.Allocate(b, heads, t, t))
        {
            gemm.MultiplyBatched(go, saved.V, gp, bh, t, t, d, transB: true); // dP = dO·Vᵀ
            kernels.MaskedSoftmaxBackward(saved.Weights, gp, gs, saved.Scale); // dS = scale·P ⊙ (dP − Σ dP ⊙ P)
        }
        if (gq is not null)
        {
            using var gqh = device.Allocate(b, heads, t, d);
            gemm.MultiplyBatched(gs, saved.K, gqh, bh, t, d, t); // dQ = dS·K
            MergeHeadsInto(kernels, gqh, gq, heads, d);
        }
        if (gk is not null)
        {
            using var gkh = device.Allocate(b, heads, t, d);
            gemm.MultiplyBatched(gs, saved.Q, gkh, bh, t, d, t, transA: true); // dK = dSᵀ·Q
            MergeHeadsInto(kernels, gkh, gk, heads, d);
        }
    }

    private static (int B, int T, int D) Check(string op, DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, int heads)
    {
        if (q.Shape.Length != 3 || heads <= 0 || q.Shape[2] % heads != 0)
            throw new ArgumentException($"{op}: {Tensor.Format(q.Shape)} with {heads} heads is not (B, T, H·D).");
        if (!q.Shape.AsSpan().SequenceEqual(k.Shape) || !q.Shape.AsSpan().SequenceEqual(v.Shape))
            throw new ArgumentException($"{op}: q {Tensor.Format(q.Shape)}, k {Tensor.Format(k.Shape)} and v {Tensor.Format(v.Shape)} must have equal shapes.");
        return (q.Shape[0], q.Shape[1], q.Shape[2] / heads);
    }

    // (B, T, H·D) → a new (B, H, T, D).
    private static DeviceBuffer SplitHeads(DeviceKernels kernels, DeviceBuffer x, int heads, int d)
    {
        using var view = x.Reshape(x.Shape[0], x.Shape[1], heads, d);
        return kernels.Transpose(view, 1, 2);
    }

    // gx (B, T, H·D) += gh (B, H, T, D) with the heads merged back.
    private static void MergeHeadsInto(DeviceKernels kernels, DeviceBuffer gh, DeviceBuffer gx, int heads, int d)
    {
        using var view = gx.Reshape(gx.Shape[0], gx.Shape[1], heads, d);
        kernels.TransposeBackward(gh, view, 1, 2);
    }
}
