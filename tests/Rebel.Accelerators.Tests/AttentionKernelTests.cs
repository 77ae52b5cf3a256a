// Attention on ILGPU's CPU accelerator: the masked softmax kernel against the managed softmax of scaled, masked scores, and the
// composed causal attention against the engine's fused Ops.Attention, values and gradients of q, k and v.
using Rebel.Tensors;

namespace Rebel.Accelerators.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class AttentionKernelTests(IlgpuCpuFixture fixture)
{
    private AcceleratorDevice Device => fixture.Device;

    [Theory]
    [InlineData(3, 5, true)] // S − T = 2 cached keys before the queries
    [InlineData(4, 4, true)]
    [InlineData(2, 7, false)]
    public void MaskedSoftmax_matches_the_managed_softmax_of_masked_scaled_scores(int queries, int keys, bool causal)
    {
        const float scale = 0.35f;
        int[] shape = [2, queries, keys];
        var x = Compare.Leaf(121, shape);
        var mask = new float[x.Size];
        for (int i = 0; i < mask.Length; i++)
            if (causal && i % keys > i / keys % queries + keys - queries) mask[i] = float.NegativeInfinity;
        var y = Ops.Softmax(Ops.Add(Ops.Mul(x, scale), Tensor.FromArray(mask, shape)));
        var gy = Compare.Values(x.Size, 122);
        Compare.Backward(y, gy);
        using var dx = Device.Upload(x); using var dg = Device.Upload(gy, shape);
        using var dy = Device.Kernels.MaskedSoftmax(dx, scale, causal);
        using var dgx = Device.Allocate(shape);
        Device.Kernels.MaskedSoftmaxBackward(dy, dg, dgx, scale);
        Compare.Close(y, dy, what: "masked softmax");
        Compare.Close(x.Grad, dgx.ToArray(), what: "masked softmax grad");
    }

    [Fact]
    public void Causal_attention_matches_the_engine_with_gradients()
    {
        const int heads = 2;
        int[] shape = [2, 5, heads * 4];
        var q = Compare.Leaf(131, shape); var k = Compare.Leaf(132, shape); var v = Compare.Leaf(133, shape);
        var y = Ops.Attention(q, k, v, heads, heads);
        var gy = Compare.Values(y.Size, 134);
        Compare.Backward(y, gy);

        using var dq = Device.Upload(q); using var dk = Device.Upload(k); using var dv = Device.Upload(v); using var dg = Device.Upload(gy, shape);
        var (output, saved) = DeviceAttention.Forward(Device, dq, dk, dv, heads);
        using var _ = output; using var __ = saved;
        using var gq = Device.Allocate(shape); using var gk = Device.Allocate(shape); using var gv = Device.Allocate(shape);
        DeviceAttention.Backward(Device, saved, dg, gq, gk, gv, heads);
        Compare.Close(y, output, what: "attention");
        Compare.Close(q.Grad, gq.ToArray(), what: "grad q");
        Compare.Close(k.Grad, gk.ToArray(), what: "grad k");
        Compare.Close(v.Grad, gv.ToArray(), what: "grad v");
    }
}
