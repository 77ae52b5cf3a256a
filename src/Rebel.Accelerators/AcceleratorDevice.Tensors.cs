// The engine's op kernels (TensorDevice.Kernels.cs) on an ILGPU accelerator: each override views the tensors' storage with their
// shapes and calls the kernel library (DeviceKernels, DeviceAttention, DeviceGemm). Results come from the open scope's pool
// (Allocate); backward kernels accumulate into the gradient storage the engine passes.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using Rebel.Accelerators.Kernels;
using Rebel.Tensors;
using Rebel.Tensors.Optim;

namespace Rebel.Accelerators;

public sealed partial class AcceleratorDevice
{
    private readonly ConditionalWeakTable<RotaryTable, DeviceRotaryTable> rotaryTables = [];

    /// <inheritdoc />
    protected internal override DeviceStorage AllocateStorage(int length) => new DeviceBuffer(this, [length], clear: false);

    /// <inheritdoc />
    protected internal override void CopyStorage(DeviceStorage source, int sourceOffset, DeviceStorage destination, int destinationOffset, int length)
    {
        if (length <= 0) return;
        Buffer(source).Range(sourceOffset, length).CopyTo(Buffer(destination).Range(destinationOffset, length));
    }

    // The accelerator buffer behind an engine storage, checked to be this device's.
    private DeviceBuffer Buffer(DeviceStorage storage)
    {
        if (storage is not DeviceBuffer buffer || buffer.Device != this)
            throw new ArgumentException($"{storage} is not storage of {this}; move the tensor explicitly first.");
        return buffer;
    }

    private DeviceBuffer View(Tensor t) => Buffer(t.Storage).ViewAs(t.Shape);

    private DeviceBuffer View(DeviceStorage storage, int[] shape) => Buffer(storage).ViewAs(shape);

    private DeviceBuffer? View(DeviceStorage? storage, Tensor like) => storage is null ? null : View(storage, like.Shape);

    /// <inheritdoc />
    protected internal override void AddScalarInPlace(DeviceStorage x, float s, int length) => Kernels.AddScalarInPlace(Buffer(x).Range(0, length), s);

    /// <inheritdoc />
    protected internal override void Accumulate(DeviceStorage source, DeviceStorage destination, int length, float scale = 1f) =>
        Kernels.Axpy(Buffer(source).Range(0, length), Buffer(destination).Range(0, length), scale);

    /// <inheritdoc />
    protected internal override DeviceStorage Binary(DeviceBinary op, Tensor a, Tensor b, int[] shape) => Kernels.Binary((BinaryKind)(int)op, View(a), View(b));

    /// <inheritdoc />
    protected internal override void BinaryBackward(DeviceBinary op, Tensor a, Tensor b, DeviceStorage g, int[] shape, DeviceStorage? ga, DeviceStorage? gb) =>
        Kernels.BinaryBackward((BinaryKind)(int)op, View(a), View(b), View(g, shape), View(ga, a), View(gb, b));

    /// <inheritdoc />
    protected internal override DeviceStorage AddScalar(Tensor x, float s) => Kernels.AddScalar(View(x), s);

    /// <inheritdoc />
    protected internal override DeviceStorage MulScalar(Tensor x, float s) => Kernels.Scale(View(x), s);

    private static Activation? ActivationOf(DeviceUnary f) => f switch
    {
        DeviceUnary.Exp => Activation.Exp,
        DeviceUnary.Log => Activation.Log,
        DeviceUnary.Tanh => Activation.Tanh,
        DeviceUnary.Sigmoid => Activation.Sigmoid,
        DeviceUnary.Relu => Activation.Relu,
        DeviceUnary.Silu => Activation.Silu,
        DeviceUnary.GeluTanh => Activation.Gelu,
        DeviceUnary.GeluExact => Activation.GeluExact,
        DeviceUnary.LogSigmoid => Activation.LogSigmoid,
        DeviceUnary.Sqrt => Activation.Sqrt,
        _ => null,
    };

    /// <inheritdoc />
    protected internal override DeviceStorage Unary(DeviceUnary f, Tensor x) =>
        ActivationOf(f) is { } act ? Kernels.Map(act, View(x)) : throw NoKernel(f.ToString());

    /// <inheritdoc />
    protected internal override void UnaryBackward(DeviceUnary f, Tensor x, Tensor y, DeviceStorage g, DeviceStorage gx)
    {
        if (ActivationOf(f) is not { } act) throw NoKernel(f + " backward");
        Kernels.MapBackward(act, View(x), View(g, x.Shape), View(gx, x.Shape));
    }

    /// <inheritdoc />
    protected internal override DeviceStorage Sum(Tensor x, int? axis) =>
        axis is { } ax ? Kernels.SumAxis(View(x), ax) : Kernels.SumLastAxis(View(x).Reshape(1, x.Size));

    /// <inheritdoc />
    protected internal override void SumBackward(Tensor x, int? axis, DeviceStorage g, DeviceStorage gx)
    {
        if (axis is { } ax) Kernels.SumAxisBackward(View(g, Without(x.Shape, ax)), View(gx, x.Shape), ax);
        else Kernels.SumLastAxisBackward(View(g, [1]), View(gx, [1, x.Size]));
    }

    private static int[] Without(int[] shape, int axis) => [.. shape[..axis], .. shape[(axis + 1)..]];

    /// <inheritdoc />
    protected internal override DeviceStorage Max(Tensor x, int axis) => Kernels.MaxAxis(View(x), axis);

    /// <inheritdoc />
    protected internal override void MaxBackward(Tensor x, int axis, DeviceStorage g, DeviceStorage gx) =>
        Kernels.MaxAxisBackward(View(x), View(g, Without(x.Shape, axis)), View(gx, x.Shape), axis);

    /// <inheritdoc />
    protected internal override DeviceStorage Pow(Tensor x, float p) => Kernels.Pow(View(x), p);

    /// <inheritdoc />
    protected internal override void PowBackward(Tensor x, float p, DeviceStorage g, DeviceStorage gx) => Kernels.PowBackward(View(x), View(g, x.Shape), View(gx, x.Shape), p);

    /// <inheritdoc />
    protected internal override DeviceStorage Clamp(Tensor x, float lo, float hi) => Kernels.Clamp(View(x), lo, hi);

    /// <inheritdoc />
    protected internal override void ClampBackward(Tensor x, float lo, float hi, DeviceStorage g, DeviceStorage gx) =>
        Kernels.ClampBackward(View(x), View(g, x.Shape), View(gx, x.Shape), lo, hi);

    /// <inheritdoc />
    protected internal override DeviceStorage Where(Tensor mask, Tensor a, Tensor b) => Kernels.Where(View(mask), View(a), View(b));

    /// <inheritdoc />
    protected internal override void WhereBackward(Tensor mask, DeviceStorage g, DeviceStorage? ga, DeviceStorage? gb) =>
        Kernels.WhereBackward(View(mask), View(g, mask.Shape), View(ga, mask), View(gb, mask));

    /// <inheritdoc />
    protected internal override DeviceStorage IndexSelect(Tensor x, ReadOnlySpan<int> rows) => Kernels.IndexSelect(View(x), rows);

    /// <inheritdoc />
    protected internal override void IndexSelectBackward(Tensor x, int[] rows, DeviceStorage g, DeviceStorage gx) =>
        Kernels.IndexSelectBackward(View(g, [rows.Length, x.Shape[1]]), rows, View(gx, x.Shape));

    /// <inheritdoc />
    protected internal override DeviceStorage Softmax(Tensor x, bool log) => log ? Kernels.LogSoftmax(View(x)) : Kernels.Softmax(View(x));

    /// <inheritdoc />
    protected internal override void SoftmaxBackward(Tensor y, bool log, DeviceStorage g, DeviceStorage gx)
    {
        if (log) Kernels.LogSoftmaxBackward(View(y), View(g, y.Shape), View(gx, y.Shape));
        else Kernels.SoftmaxBackward(View(y), View(g, y.Shape), View(gx, y.Shape));
    }

    /// <inheritdoc />
    protected internal override DeviceStorage Norm(Tensor x, Tensor weight, Tensor? bias, float eps, bool centered, out object saved)
    {
        var result = centered ? Kernels.LayerNorm(View(x), View(weight), bias is null ? null : View(bias), eps) : Kernels.RmsNorm(View(x), View(weight), eps);
        saved = result;
        return result.Output;
    }

    /// <inheritdoc />
    protected internal override void NormBackward(Tensor x, Tensor weight, bool centered, object saved, DeviceStorage g, DeviceStorage? gx, DeviceStorage? gw, DeviceStorage? gb)
    {
        var result = (NormResult)saved;
        if (centered) Kernels.LayerNormBackward(View(x), View(weight), result, View(g, x.Shape), View(gx, x), View(gw, weight), gb is null ? null : View(gb, weight.Shape));
        else Kernels.RmsNormBackward(View(x), View(weight), result, View(g, x.Shape), View(gx, x), View(gw, weight));
    }

    /// <inheritdoc />
    protected internal override DeviceStorage Transpose(Tensor x, int axis0, int axis1) => Kernels.Transpose(View(x), axis0, axis1);

    /// <inheritdoc />
    protected internal override void TransposeBackward(Tensor x, int axis0, int axis1, DeviceStorage g, DeviceStorage gx)
    {
        var shape = (int[])x.Shape.Clone();
        (shape[axis0], shape[axis1]) = (shape[axis1], shape[axis0]);
        Kernels.TransposeBackward(View(g, shape), View(gx, x.Shape), axis0, axis1);
    }

    /// <inheritdoc />
    protected internal override DeviceStorage Slice(Tensor x, int axis, int start, int length) => Kernels.Slice(View(x), axis, start, length);

    /// <inheritdoc />
    protected internal override void SliceBackward(Tensor x, int axis, int start, int length, DeviceStorage g, DeviceStorage gx)
    {
        var shape = (int[])x.Shape.Clone();
        shape[axis] = length;
        Kernels.SliceBackward(View(g, shape), View(gx, x.Shape), axis, start);
    }

    /// <inheritdoc />
    protected internal override DeviceStorage Concat(IReadOnlyList<Tensor> xs, int axis) => Kernels.Concat([.. xs.Select(View)], axis);

    /// <inheritdoc />
    protected internal override void ConcatBackward(IReadOnlyList<Tensor> xs, int axis, DeviceStorage g, IReadOnlyList<DeviceStorage?> gxs)
    {
        var shape = (int[])xs[0].Shape.Clone();
        shape[axis] = xs.Sum(x => x.Shape[axis]);
        Kernels.ConcatBackward(View(g, shape), [.. xs.Select(View)], [.. xs.Select((x, i) => View(gxs[i], x))], axis);
    }

    /// <inheritdoc />
    protected internal override void Multiply(DeviceStorage a, DeviceStorage b, DeviceStorage c, int batch, int m, int n, int k, bool transA, bool transB, bool accumulate) =>
        Gemm.MultiplyBatched(View(a, [batch * m * k]), View(b, [batch * k * n]), View(c, [batch * m * n]), batch, m, n, k, transA, transB, accumulate);

    /// <inheritdoc />
    protected internal override DeviceStorage RepeatRows(Tensor row, int rows)
    {
        var y = Allocate(rows, row.Size);
        Kernels.RepeatRows(View(row).View, y.View, row.Size);
        return y;
    }

    /// <inheritdoc />
    protected internal override void AccumulateColumnSums(DeviceStorage g, int rows, int width, DeviceStorage target)
    {
        var gv = View(g, [rows, width]); var bias = View(target, [width]);
        Kernels.BinaryBackward(BinaryKind.Add, gv, bias, gv, null, bias); // the bias gradient of x + bias: its column sums
    }

    /// <inheritdoc />
    protected internal override DeviceStorage Embedding(Tensor weight, ReadOnlySpan<int> ids) => Kernels.Embedding(View(weight), ids, ids.Length);

    /// <inheritdoc />
    protected internal override void EmbeddingBackward(Tensor weight, int[] ids, DeviceStorage g, DeviceStorage gw) =>
        Kernels.EmbeddingBackward(View(g, [ids.Length, weight.Shape[1]]), ids, View(gw, weight.Shape));

    /// <inheritdoc />
    protected internal override DeviceStorage GatherLogProbs(Tensor logits, ReadOnlySpan<int> targets, float temperature, int ignoreIndex, out object saved)
    {
        var result = Kernels.GatherLogProbs(View(logits), targets, temperature, ignoreIndex);
        saved = result;
        return result.LogProbs;
    }

    /// <inheritdoc />
    protected internal override void GatherLogProbsBackward(Tensor logits, int[] targets, float temperature, int ignoreIndex, object saved, DeviceStorage g, DeviceStorage glogits)
    {
        var result = (TokenLogProbs)saved;
        Kernels.GatherLogProbsBackward(View(logits), targets, result, View(g, logits.Shape[..^1]), View(glogits, logits.Shape), temperature, ignoreIndex);
    }

    /// <inheritdoc />
    protected internal override DeviceStorage RowEntropy(Tensor logits, float temperature) => Kernels.RowEntropy(View(logits), temperature);

    // The device copy of a rotary table, rebuilt when more positions are asked for than it holds.
    private DeviceRotaryTable RotaryOnDevice(RotaryTable table, int[] positions)
    {
        int needed = positions.Length == 0 ? 1 : positions.Max() + 1;
        if (rotaryTables.TryGetValue(table, out var existing) && existing.Positions >= needed) return existing;
        existing?.Dispose();
        var fresh = new DeviceRotaryTable(this, table, Math.Max(needed, 2 * (existing?.Positions ?? 0)));
        rotaryTables.AddOrUpdate(table, fresh);
        return fresh;
    }

    /// <inheritdoc />
    protected internal override DeviceStorage Rotary(Tensor x, int heads, RotaryTable table, ReadOnlySpan<int> positions)
    {
        var pos = positions.ToArray();
        return Kernels.Rotary(View(x), heads, RotaryOnDevice(table, pos), pos);
    }

    /// <inheritdoc />
    protected internal override void RotaryBackward(Tensor x, int heads, RotaryTable table, int[] positions, DeviceStorage g, DeviceStorage gx) =>
        Kernels.RotaryBackward(View(g, x.Shape), heads, RotaryOnDevice(table, positions), positions, View(gx, x.Shape));

    /// <inheritdoc />
    protected internal override DeviceStorage Attention(Tensor q, Tensor k, Tensor v, KvCache? cache, int keysLength, int heads, int kvHeads, int[]? keyStart, bool causal,
        int window, float softCap, float scale, out object saved)
    {
        if (cache is null)
        {
            var (output, attentionSaved) = DeviceAttention.Forward(this, View(q), View(k), View(v), heads, kvHeads, keyStart, causal, window, softCap, scale);
            saved = attentionSaved;
            return output;
        }
        // The cache holds (B, capacity, W); the kernel reads (B, S, W): the first S positions of each row, gathered (no gradient here).
        int b = q.Shape[0], w = cache.Width;
        using var keys = Allocate(b, keysLength, w);
        using var values = Allocate(b, keysLength, w);
        for (int r = 0; r < b; r++)
        {
            CopyStorage(cache.DeviceKeys!, r * cache.Capacity * w, keys, r * keysLength * w, keysLength * w);
            CopyStorage(cache.DeviceValues!, r * cache.Capacity * w, values, r * keysLength * w, keysLength * w);
        }
        var (cached, cachedSaved) = DeviceAttention.Forward(this, View(q), keys, values, heads, kvHeads, keyStart, causal, window, softCap, scale);
        saved = cachedSaved;
        return cached;
    }

    /// <inheritdoc />
    protected internal override void AttentionBackward(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, int[]? keyStart, bool causal, int window, float softCap, float scale,
        object saved, DeviceStorage g, DeviceStorage? gq, DeviceStorage? gk, DeviceStorage? gv) =>
        DeviceAttention.Backward(this, (AttentionSaved)saved, View(g, q.Shape), View(gq, q), View(gk, k), View(gv, v));

    /// <inheritdoc />
    protected internal override void AdamW(DeviceStorage parameter, DeviceStorage gradient, DeviceStorage m, DeviceStorage v, int length, AdamWStep step) =>
        Kernels.AdamW(Buffer(parameter).Range(0, length), Buffer(gradient).Range(0, length), Buffer(m).Range(0, length), Buffer(v).Range(0, length),
            new DeviceKernels.AdamWConstants(step.Beta1, step.Beta2, step.Epsilon, step.Correction1, step.Correction2, step.LearningRate, step.Decay));

    /// <inheritdoc />
    protected internal override double SumOfSquares(IReadOnlyList<(DeviceStorage X, int Length)> xs) =>
        Kernels.SumOfSquares([.. xs.Select(x => Buffer(x.X).Range(0, x.Length))]);

    /// <inheritdoc />
    protected internal override void ScaleInPlace(DeviceStorage x, float s, int length) => Kernels.ScaleInPlace(Buffer(x).Range(0, length), s);
}
