// Rotary embedding, transpose, slice and concat, embedding gather / scatter-add, token log-probs and cross-entropy on ILGPU's CPU accelerator against the managed ops.
using Rebel.Tensors;

namespace Rebel.Accelerators.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class LookupKernelTests(IlgpuCpuFixture fixture)
{
    private AcceleratorDevice Device => fixture.Device;

    [Theory]
    [InlineData(10, 10)] // full rotary dimension
    [InlineData(10, 6)] // partial (GPT-NeoX's rotary_pct): channels 6..9 of each head pass through
    public void Rotary_matches_the_managed_op_with_gradient(int headSize, int rotaryDim)
    {
        const int heads = 2;
        int[] shape = [2, 3, heads * headSize];
        int[] positions = [0, 5, 2, 7, 1, 3];
        var table = new RotaryTable(rotaryDim, 10000);
        var x = Compare.Leaf(41, shape);
        var gy = Compare.Values(x.Size, 42);
        var y = Ops.Rotary(x, heads, table, positions);
        Compare.Backward(y, gy);

        using var deviceTable = new DeviceRotaryTable(Device, table, 8);
        using var dx = Device.Upload(x); using var dg = Device.Upload(gy, shape);
        using var dy = Device.Kernels.Rotary(dx, heads, deviceTable, positions);
        using var dgx = Device.Allocate(shape);
        Device.Kernels.RotaryBackward(dg, heads, deviceTable, positions, dgx);
        Compare.Close(y, dy, what: "rotary");
        Compare.Close(x.Grad, dgx.ToArray(), what: "rotary grad");
    }

    [Theory]
    [InlineData(new[] { 2, 3, 4, 5 }, 1, 2)] // attention's (B, T, H, D) → (B, H, T, D)
    [InlineData(new[] { 3, 7 }, 0, 1)]
    [InlineData(new[] { 2, 3, 5, 7 }, 0, -1)] // axes apart, one counted from the end
    [InlineData(new[] { 4, 1, 6 }, 1, 2)] // a swap that leaves the memory order alone
    public void Transpose_matches_the_managed_op_with_gradient(int[] shape, int axis0, int axis1)
    {
        var x = Compare.Leaf(45, shape);
        var y = Ops.Transpose(x, axis0, axis1);
        var gy = Compare.Values(y.Size, 46);
        Compare.Backward(y, gy);
        using var dx = Device.Upload(x); using var dg = Device.Upload(gy, y.Shape);
        using var dy = Device.Kernels.Transpose(dx, axis0, axis1);
        using var dgx = Device.Allocate(shape);
        Device.Kernels.TransposeBackward(dg, dgx, axis0, axis1);
        Compare.Close(y, dy, what: "transpose");
        Compare.Close(x.Grad, dgx.ToArray(), what: "transpose grad");
    }

    [Theory]
    [InlineData(new[] { 2, 3, 12 }, -1, 4, 5)] // a piece of a fused projection
    [InlineData(new[] { 3, 7 }, 0, 1, 2)]
    [InlineData(new[] { 2, 5, 3 }, 1, 0, 5)] // the whole axis
    public void Slice_and_Concat_match_the_managed_ops_with_gradients(int[] shape, int axis, int start, int length)
    {
        var x = Compare.Leaf(47, shape);
        var y = Ops.Slice(x, axis, start, length);
        var gy = Compare.Values(y.Size, 48);
        Compare.Backward(y, gy);
        using var dx = Device.Upload(x); using var dg = Device.Upload(gy, y.Shape);
        using var dy = Device.Kernels.Slice(dx, axis, start, length);
        using var dgx = Device.Allocate(shape);
        Device.Kernels.SliceBackward(dg, dgx, axis, start);
        Compare.Close(y, dy, what: "slice");
        Compare.Close(x.Grad, dgx.ToArray(), what: "slice grad");

        // Concatenating the slice before, the slice and the rest gives x back; its backward splits the gradient into the three.
        int n = shape[axis < 0 ? axis + shape.Length : axis];
        Tensor[] parts = [Ops.Slice(x, axis, 0, start), y, Ops.Slice(x, axis, start + length, n - start - length)];
        var device = parts.Select(p => Device.Upload(p)).ToArray();
        using var joined = Device.Kernels.Concat(device, axis);
        Compare.Close(x.ToArray(), joined.ToArray(), what: "concat");
        var grads = parts.Select(p => (DeviceBuffer?)Device.Allocate(p.Shape)).ToArray();
        using var dj = Device.Upload(x.ToArray(), shape);
        Device.Kernels.ConcatBackward(dj, device, grads, axis);
        Compare.Close(y.ToArray(), grads[1]!.ToArray(), what: "concat grad");
        foreach (var b in device.Concat(grads)) b!.Dispose();
    }

    [Fact]
    public void Rotary_rejects_a_position_beyond_the_device_table()
    {
        using var deviceTable = new DeviceRotaryTable(Device, new RotaryTable(4, 10000), 4);
        using var x = Device.Allocate(1, 2, 4);
        var e = Assert.Throws<ArgumentException>(() => Device.Kernels.Rotary(x, 1, deviceTable, new[] { 0, 4 }));
        Assert.Contains("position 4", e.Message);
    }

    [Fact]
    public void Embedding_gathers_rows_and_scatter_adds_repeated_ids()
    {
        int[] ids = [3, 0, 10, 3, 3, 7, 1, 0, 9, 3];
        var w = Compare.Leaf(51, 11, 7);
        var gy = Compare.Values(ids.Length * 7, 52);
        var y = Ops.Embedding(w, ids, 2, 5);
        Compare.Backward(y, gy);
        using var dw = Device.Upload(w); using var dg = Device.Upload(gy, 2, 5, 7);
        using var dy = Device.Kernels.Embedding(dw, ids, 2, 5);
        using var dgw = Device.Allocate(11, 7);
        Device.Kernels.EmbeddingBackward(dg, ids, dgw);
        Compare.Close(y, dy, what: "embedding");
        Compare.Close(w.Grad, dgw.ToArray(), what: "embedding grad");
        var e = Assert.Throws<ArgumentException>(() => Device.Kernels.Embedding(dw, new[] { 1, 11 }, 2));
        Assert.Contains("id 11 at position 1", e.Message);
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(0.7f)]
    public void GatherLogProbs_matches_the_managed_op_with_gradient(float temperature)
    {
        int[] targets = [4, -100, 28, 0, 13, 7]; // one ignored row
        var logits = Compare.Leaf(61, 2, 3, 29);
        var gy = Compare.Values(targets.Length, 62);
        var y = Ops.GatherLogProbs(logits, targets, temperature);
        Compare.Backward(y, gy);
        using var dl = Device.Upload(logits); using var dg = Device.Upload(gy, 2, 3);
        using var saved = Device.Kernels.GatherLogProbs(dl, targets, temperature);
        using var dgl = Device.Allocate(logits.Shape);
        Device.Kernels.GatherLogProbsBackward(dl, targets, saved, dg, dgl, temperature);
        Compare.Close(y, saved.LogProbs, what: "log-probs");
        Compare.Close(logits.Grad, dgl.ToArray(), what: "logits grad");
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(0.6f)]
    public void RowEntropy_matches_the_entropies_the_engine_reports(float temperature)
    {
        int[] targets = [4, -100, 28, 0, 13, 7];
        var logits = Compare.Leaf(63, 6, 29);
        var entropy = new float[6];
        using (Autograd.NoGrad()) Ops.ChunkedGatherLogProbs(logits, x => x, targets, temperature, 4, -100, entropy);
        using var dl = Device.Upload(logits);
        using var h = Device.Kernels.RowEntropy(dl, temperature);
        var device = h.ToArray();
        device[1] = 0f; // the engine reports 0 at an ignored row
        Compare.Close(entropy, device, what: "entropy");
        Assert.All(entropy.Where((_, i) => i != 1), e => Assert.InRange(e, 0.1f, MathF.Log(29)));
    }

    [Fact]
    public void CrossEntropy_matches_the_managed_op_with_gradient()
    {
        int[] targets = [4, -100, 28, 0, 13];
        var logits = Compare.Leaf(71, 5, 29);
        var loss = Ops.CrossEntropy(logits, targets);
        Ops.Mul(loss, 2f).Backward();
        using var dl = Device.Upload(logits);
        var (deviceLoss, saved) = Device.Kernels.CrossEntropy(dl, targets);
        using var _ = saved;
        using var dgl = Device.Allocate(logits.Shape);
        Device.Kernels.CrossEntropyBackward(dl, targets, saved, 2f, dgl);
        Compare.Close([loss.Item()], [deviceLoss], what: "loss");
        Compare.Close(logits.Grad, dgl.ToArray(), what: "logits grad");
        var e = Assert.Throws<ArgumentException>(() => Device.Kernels.CrossEntropy(dl, new[] { 1, 2, 3 }));
        Assert.Contains("3 targets for logits (5, 29)", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void IndexSelect_gathers_convolution_windows_and_upsampling_rows_with_gradients(int stride)
    {
        // The U-Net's 3 × 3 window gather: rows of a (B·side², C) map plus one padding row, tap-major, the padding row repeated.
        const int batch = 2, side = 4, c = 3, outSide = side / 2;
        int pad = batch * side * side, s = side / stride;
        var windows = new List<int>();
        for (int b = 0; b < batch; b++)
            for (int oy = 0; oy < s; oy++)
                for (int ox = 0; ox < s; ox++)
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++)
                        {
                            int y0 = stride * oy + ky - 1, x0 = stride * ox + kx - 1;
                            windows.Add((uint)y0 < side && (uint)x0 < side ? b * side * side + y0 * side + x0 : pad);
                        }
        var upsample = new List<int>(); // nearest-neighbour ×2 of an (outSide × outSide) map
        for (int b = 0; b < batch; b++)
            for (int y0 = 0; y0 < 2 * outSide; y0++)
                for (int x0 = 0; x0 < 2 * outSide; x0++) upsample.Add(b * outSide * outSide + y0 / 2 * outSide + x0 / 2);
        foreach (var rows in new[] { windows.ToArray(), upsample.ToArray() })
        {
            var x = Compare.Leaf(81, pad + 1, c);
            var y = Ops.IndexSelect(x, rows);
            var gy = Compare.Values(y.Size, 82);
            Compare.Backward(y, gy);
            using var dx = Device.Upload(x); using var dg = Device.Upload(gy, y.Shape);
            using var dy = Device.Kernels.IndexSelect(dx, rows);
            using var dgx = Device.Allocate(x.Shape);
            Device.Kernels.IndexSelectBackward(dg, rows, dgx);
            Compare.Close(y, dy, tol: 0f, what: "index select");
            Compare.Close(x.Grad, dgx.ToArray(), what: "index select grad");
        }
        using var small = Device.Allocate(3, 2);
        var e = Assert.Throws<ArgumentException>(() => Device.Kernels.IndexSelect(small, new[] { 0, 3 }));
        Assert.Contains("row 3 at position 1", e.Message);
    }
}
