// The op kernels an accelerator provides. The engine's ops (Ops.*) check their operands' device; when they live on an
// accelerator, the op calls the method here for its forward and records a backward that calls the matching backward method,
// so the tape, scopes and optimizers are the same code on every device. Forward methods return the result's storage (taken
// from the open scope's pool by the accelerator); backward methods accumulate (+=) into the gradient storages they are given,
// skipping null ones. `saved` is whatever the forward keeps for its backward (norm statistics, attention weights). An
// accelerator that lacks a kernel throws a NotSupportedException naming the op and the device.
namespace Rebel.Tensors;

/// <summary>Binary element-wise ops with NumPy broadcasting.</summary>
public enum DeviceBinary
{
    /// <summary>a + b.</summary>
    Add,

    /// <summary>a − b.</summary>
    Sub,

    /// <summary>a ⊙ b.</summary>
    Mul,

    /// <summary>a ⊘ b.</summary>
    Div,
}

/// <summary>Unary element-wise functions.</summary>
public enum DeviceUnary
{
    /// <summary>eˣ.</summary>
    Exp,

    /// <summary>ln x.</summary>
    Log,

    /// <summary>√x.</summary>
    Sqrt,

    /// <summary>tanh x.</summary>
    Tanh,

    /// <summary>σ(x).</summary>
    Sigmoid,

    /// <summary>ln σ(x).</summary>
    LogSigmoid,

    /// <summary>max(x, 0).</summary>
    Relu,

    /// <summary>x·σ(x).</summary>
    Silu,

    /// <summary>GELU, tanh form (GPT-2's gelu_new).</summary>
    GeluTanh,

    /// <summary>GELU, exact erf form.</summary>
    GeluExact,
}

public abstract partial class TensorDevice
{
    /// <summary>x[i] += s for the first <paramref name="length"/> elements (seeding a gradient with ones).</summary>
    protected internal virtual void AddScalarInPlace(DeviceStorage x, float s, int length) => throw NoKernel("AddScalarInPlace");

    /// <summary>destination[i] += scale·source[i] for the first <paramref name="length"/> elements (gradients of views and copies).</summary>
    protected internal virtual void Accumulate(DeviceStorage source, DeviceStorage destination, int length, float scale = 1f) => throw NoKernel("Accumulate");

    /// <summary>a op b with NumPy broadcasting into <paramref name="shape"/>.</summary>
    protected internal virtual DeviceStorage Binary(DeviceBinary op, Tensor a, Tensor b, int[] shape) => throw NoKernel(op.ToString());

    /// <summary>Gradients of <see cref="Binary"/>: g has the broadcast shape; ga, gb the operands' shapes.</summary>
    protected internal virtual void BinaryBackward(DeviceBinary op, Tensor a, Tensor b, DeviceStorage g, int[] shape, DeviceStorage? ga, DeviceStorage? gb) =>
        throw NoKernel(op + " backward");

    /// <summary>x + s.</summary>
    protected internal virtual DeviceStorage AddScalar(Tensor x, float s) => throw NoKernel("AddScalar");

    /// <summary>s·x.</summary>
    protected internal virtual DeviceStorage MulScalar(Tensor x, float s) => throw NoKernel("MulScalar");

    /// <summary>f(x).</summary>
    protected internal virtual DeviceStorage Unary(DeviceUnary f, Tensor x) => throw NoKernel(f.ToString());

    /// <summary>gx += f'(x)·g (y = f(x) is given for functions whose derivative reads it).</summary>
    protected internal virtual void UnaryBackward(DeviceUnary f, Tensor x, Tensor y, DeviceStorage g, DeviceStorage gx) => throw NoKernel(f + " backward");

    /// <summary>xᵖ.</summary>
    protected internal virtual DeviceStorage Pow(Tensor x, float p) => throw NoKernel("Pow");

    /// <summary>gx += p·xᵖ⁻¹·g.</summary>
    protected internal virtual void PowBackward(Tensor x, float p, DeviceStorage g, DeviceStorage gx) => throw NoKernel("Pow backward");

    /// <summary>min(max(x, lo), hi).</summary>
    protected internal virtual DeviceStorage Clamp(Tensor x, float lo, float hi) => throw NoKernel("Clamp");

    /// <summary>gx += g where lo ≤ x ≤ hi.</summary>
    protected internal virtual void ClampBackward(Tensor x, float lo, float hi, DeviceStorage g, DeviceStorage gx) => throw NoKernel("Clamp backward");

    /// <summary>mask ≠ 0 ? a : b over equal shapes.</summary>
    protected internal virtual DeviceStorage Where(Tensor mask, Tensor a, Tensor b) => throw NoKernel("Where");

    /// <summary>ga += g where mask ≠ 0, gb += g elsewhere.</summary>
    protected internal virtual void WhereBackward(Tensor mask, DeviceStorage g, DeviceStorage? ga, DeviceStorage? gb) => throw NoKernel("Where backward");

    /// <summary>Maximum over <paramref name="axis"/> (the result drops it).</summary>
    protected internal virtual DeviceStorage Max(Tensor x, int axis) => throw NoKernel("Max");

    /// <summary>gx += g at the first maximal element along <paramref name="axis"/>.</summary>
    protected internal virtual void MaxBackward(Tensor x, int axis, DeviceStorage g, DeviceStorage gx) => throw NoKernel("Max backward");

    /// <summary>Rows of x (N, C) at <paramref name="rows"/>: (M, C).</summary>
    protected internal virtual DeviceStorage IndexSelect(Tensor x, ReadOnlySpan<int> rows) => throw NoKernel("IndexSelect");

    /// <summary>gx[rows[i]] += g[i].</summary>
    protected internal virtual void IndexSelectBackward(Tensor x, int[] rows, DeviceStorage g, DeviceStorage gx) => throw NoKernel("IndexSelect backward");

    /// <summary>Sum over <paramref name="axis"/> (the result drops it), or over everything when null.</summary>
    protected internal virtual DeviceStorage Sum(Tensor x, int? axis) => throw NoKernel("Sum");

    /// <summary>Gradient of <see cref="Sum"/>: gx += g broadcast back over <paramref name="axis"/>.</summary>
    protected internal virtual void SumBackward(Tensor x, int? axis, DeviceStorage g, DeviceStorage gx) => throw NoKernel("Sum backward");

    /// <summary>Softmax (or log-softmax) over the last axis.</summary>
    protected internal virtual DeviceStorage Softmax(Tensor x, bool log) => throw NoKernel(log ? "LogSoftmax" : "Softmax");

    /// <summary>Gradient of <see cref="Softmax"/> from its output y.</summary>
    protected internal virtual void SoftmaxBackward(Tensor y, bool log, DeviceStorage g, DeviceStorage gx) => throw NoKernel(log ? "LogSoftmax backward" : "Softmax backward");

    /// <summary>LayerNorm (bias given) or RMSNorm (<paramref name="centered"/> false, no bias) over the last axis.</summary>
    protected internal virtual DeviceStorage Norm(Tensor x, Tensor weight, Tensor? bias, float eps, bool centered, out object saved) => throw NoKernel(centered ? "LayerNorm" : "RmsNorm");

    /// <summary>Gradients of <see cref="Norm"/>.</summary>
    protected internal virtual void NormBackward(Tensor x, Tensor weight, bool centered, object saved, DeviceStorage g, DeviceStorage? gx, DeviceStorage? gw, DeviceStorage? gb) =>
        throw NoKernel(centered ? "LayerNorm backward" : "RmsNorm backward");

    /// <summary>x with axes <paramref name="axis0"/> and <paramref name="axis1"/> swapped (a copy).</summary>
    protected internal virtual DeviceStorage Transpose(Tensor x, int axis0, int axis1) => throw NoKernel("Transpose");

    /// <summary>Gradient of <see cref="Transpose"/>: gx += g with the axes swapped back.</summary>
    protected internal virtual void TransposeBackward(Tensor x, int axis0, int axis1, DeviceStorage g, DeviceStorage gx) => throw NoKernel("Transpose backward");

    /// <summary>Elements [start, start + length) along <paramref name="axis"/>.</summary>
    protected internal virtual DeviceStorage Slice(Tensor x, int axis, int start, int length) => throw NoKernel("Slice");

    /// <summary>Gradient of <see cref="Slice"/>.</summary>
    protected internal virtual void SliceBackward(Tensor x, int axis, int start, int length, DeviceStorage g, DeviceStorage gx) => throw NoKernel("Slice backward");

    /// <summary>The tensors joined along <paramref name="axis"/>.</summary>
    protected internal virtual DeviceStorage Concat(IReadOnlyList<Tensor> xs, int axis) => throw NoKernel("Concat");

    /// <summary>Gradient of <see cref="Concat"/>: each non-null gradient receives its part of g.</summary>
    protected internal virtual void ConcatBackward(IReadOnlyList<Tensor> xs, int axis, DeviceStorage g, IReadOnlyList<DeviceStorage?> gxs) => throw NoKernel("Concat backward");

    /// <summary>
    /// C = op(A)·op(B) for <paramref name="batch"/> matrices packed back to back (A: m×k, or k×m when transposed; B: k×n, or n×k;
    /// C: m×n), as the engine's Gemm.MultiplyBatched; C += when <paramref name="accumulate"/>.
    /// </summary>
    protected internal virtual void Multiply(DeviceStorage a, DeviceStorage b, DeviceStorage c, int batch, int m, int n, int k, bool transA, bool transB, bool accumulate) =>
        throw NoKernel("MatMul");

    /// <summary>(rows, width) storage whose every row is <paramref name="row"/> (a bias before a product accumulates onto it).</summary>
    protected internal virtual DeviceStorage RepeatRows(Tensor row, int rows) => throw NoKernel("RepeatRows");

    /// <summary>target (width) += Σ over the rows of g (rows, width) (a bias gradient).</summary>
    protected internal virtual void AccumulateColumnSums(DeviceStorage g, int rows, int width, DeviceStorage target) => throw NoKernel("ColumnSums");

    /// <summary>Rows of <paramref name="weight"/> picked by <paramref name="ids"/> (an embedding lookup), shape (ids…, width).</summary>
    protected internal virtual DeviceStorage Embedding(Tensor weight, ReadOnlySpan<int> ids) => throw NoKernel("Embedding");

    /// <summary>Gradient of <see cref="Embedding"/>: gw[ids[i]] += g[i].</summary>
    protected internal virtual void EmbeddingBackward(Tensor weight, int[] ids, DeviceStorage g, DeviceStorage gw) => throw NoKernel("Embedding backward");

    /// <summary>ln softmax(x/τ)[target] per row of logits (rows, V); 0 where the target is <paramref name="ignoreIndex"/>.</summary>
    protected internal virtual DeviceStorage GatherLogProbs(Tensor logits, ReadOnlySpan<int> targets, float temperature, int ignoreIndex, out object saved) =>
        throw NoKernel("GatherLogProbs");

    /// <summary>Gradient of <see cref="GatherLogProbs"/>.</summary>
    protected internal virtual void GatherLogProbsBackward(Tensor logits, int[] targets, float temperature, int ignoreIndex, object saved, DeviceStorage g, DeviceStorage glogits) =>
        throw NoKernel("GatherLogProbs backward");

    /// <summary>The entropy in nats of softmax(logits / τ) per row of logits (rows, V): a metric, no gradient.</summary>
    protected internal virtual DeviceStorage RowEntropy(Tensor logits, float temperature) => throw NoKernel("RowEntropy");

    /// <summary>RoPE on x (B, T, H·D) at the given positions (B·T of them).</summary>
    protected internal virtual DeviceStorage Rotary(Tensor x, int heads, RotaryTable table, ReadOnlySpan<int> positions) => throw NoKernel("Rotary");

    /// <summary>Gradient of <see cref="Rotary"/>.</summary>
    protected internal virtual void RotaryBackward(Tensor x, int heads, RotaryTable table, int[] positions, DeviceStorage g, DeviceStorage gx) => throw NoKernel("Rotary backward");

    /// <summary>
    /// softmax(scale·Q·Kᵀ + mask)·V per head, as Ops.Attention: q (B, T, H·D); k, v (B, T, Hkv·D), or with a cache, the cache's keys
    /// and values (B, capacity, Hkv·D) whose first <paramref name="keysLength"/> positions (the new ones included) are attended,
    /// query t sitting at position keysLength − T + t. Key s is masked for row b when s &lt; keyStart[b], after the query (causal),
    /// or W or more positions before it (window W &gt; 0); a soft cap c &gt; 0 replaces scores u by c·tanh(u/c). Returns (B, T, H·D).
    /// </summary>
    protected internal virtual DeviceStorage Attention(Tensor q, Tensor k, Tensor v, KvCache? cache, int keysLength, int heads, int kvHeads,
        int[]? keyStart, bool causal, int window, float softCap, float scale, out object saved) => throw NoKernel("Attention");

    /// <summary>Gradients of <see cref="Attention"/> (without a cache) into q, k and v.</summary>
    protected internal virtual void AttentionBackward(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, int[]? keyStart, bool causal, int window,
        float softCap, float scale, object saved, DeviceStorage g, DeviceStorage? gq, DeviceStorage? gk, DeviceStorage? gv) => throw NoKernel("Attention backward");

    /// <summary>One AdamW update of a parameter on the device from its gradient and moments (all of <paramref name="length"/> floats).</summary>
    protected internal virtual void AdamW(DeviceStorage parameter, DeviceStorage gradient, DeviceStorage m, DeviceStorage v, int length, Optim.AdamWStep step) =>
        throw NoKernel("AdamW");

    /// <summary>Σ x² over the first Length elements of every buffer (the global gradient norm's square), summed on the device and read once.</summary>
    protected internal virtual double SumOfSquares(IReadOnlyList<(DeviceStorage X, int Length)> xs) => throw NoKernel("SumOfSquares");

    /// <summary>x[i] *= s in place.</summary>
    protected internal virtual void ScaleInPlace(DeviceStorage x, float s, int length) => throw NoKernel("ScaleInPlace");
}
