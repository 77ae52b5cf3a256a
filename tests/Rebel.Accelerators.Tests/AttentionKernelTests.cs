// Attention on ILGPU's CPU accelerator: the masked softmax kernel against the managed softmax of scaled, masked scores, and the
// composed attention against the engine's fused Ops.Attention, values and gradients of q, k and v: grouped-query heads, left
// padding (with queries that see no key), causal and not, a sliding window, a soft cap, an explicit scale, and a decode step
// against a key/value cache.
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

    [Theory]
    [InlineData(4, 2, true, 0, 0f, 0f)] // grouped-query heads, causal; row 1's first three queries see no key
    [InlineData(3, 1, false, 0, 0f, 0f)] // one key/value head, non-causal (the DiT)
    [InlineData(2, 2, true, 2, 0f, 0.6f)] // sliding window, explicit scale
    [InlineData(4, 2, true, 3, 5f, 0f)] // soft cap with a window
    [InlineData(2, 1, false, 0, 4f, 0.3f)] // soft cap, non-causal, explicit scale
    public void Attention_matches_the_engine_with_gradients(int heads, int kvHeads, bool causal, int window, float softCap, float scale)
    {
        const int d = 3, t = 5;
        int[] keyStart = [0, 3];
        int[] qShape = [2, t, heads * d], kvShape = [2, t, kvHeads * d];
        var q = Compare.Leaf(141, qShape); var k = Compare.Leaf(142, kvShape); var v = Compare.Leaf(143, kvShape);
        float? sc = scale > 0 ? scale : null;
        var y = Ops.Attention(q, k, v, heads, kvHeads, keyStart: keyStart, causal: causal, slidingWindow: window, softCap: softCap, scale: sc);
        var gy = Compare.Values(y.Size, 144);
        Compare.Backward(y, gy);

        using var dq = Device.Upload(q); using var dk = Device.Upload(k); using var dv = Device.Upload(v); using var dg = Device.Upload(gy, qShape);
        var (output, saved) = DeviceAttention.Forward(Device, dq, dk, dv, heads, kvHeads, keyStart, causal, window, softCap, sc);
        using var _ = output; using var __ = saved;
        using var gq = Device.Allocate(qShape); using var gk = Device.Allocate(kvShape); using var gv = Device.Allocate(kvShape);
        DeviceAttention.Backward(Device, saved, dg, gq, gk, gv);
        Compare.Close(y, output, what: "attention");
        Compare.Close(q.Grad, gq.ToArray(), what: "grad q");
        Compare.Close(k.Grad, gk.ToArray(), what: "grad k");
        Compare.Close(v.Grad, gv.ToArray(), what: "grad v");
        if (causal) Assert.All(output.ToArray().AsSpan(t * heads * d, 3 * heads * d).ToArray(), x => Assert.Equal(0f, x)); // no live key: 0, as the engine
    }

    [Theory]
    [InlineData(1)] // a decode step
    [InlineData(3)] // a chunk of queries after the cached prompt
    public void Attention_after_a_cache_matches_the_engine_with_padding_and_gradients(int t)
    {
        const int heads = 4, kvHeads = 2, d = 3, prompt = 4, batch = 2;
        int kvw = kvHeads * d;
        int[] keyStart = [2, 0];
        var cache = new KvCache(batch, prompt + t, kvw);
        var k0 = Compare.Leaf(151, batch, prompt, kvw); var v0 = Compare.Leaf(152, batch, prompt, kvw);
        Ops.Attention(Compare.Leaf(153, batch, prompt, heads * d), k0, v0, heads, kvHeads, cache, keyStart); // the prompt fills the cache
        var q = Compare.Leaf(154, batch, t, heads * d); var k = Compare.Leaf(155, batch, t, kvw); var v = Compare.Leaf(156, batch, t, kvw);
        var y = Ops.Attention(q, k, v, heads, kvHeads, cache, keyStart);
        var gy = Compare.Values(y.Size, 157);
        Compare.Backward(y, gy);

        using var dk0 = Device.Upload(k0); using var dv0 = Device.Upload(v0); using var dk = Device.Upload(k); using var dv = Device.Upload(v);
        using var keys = Device.Kernels.Concat([dk0, dk], 1); using var values = Device.Kernels.Concat([dv0, dv], 1); // (B, S, Hkv·D)
        using var dq = Device.Upload(q); using var dg = Device.Upload(gy, y.Shape);
        var (output, saved) = DeviceAttention.Forward(Device, dq, keys, values, heads, kvHeads, keyStart);
        using var _ = output; using var __ = saved;
        using var gq = Device.Allocate(q.Shape); using var gk = Device.Allocate(k.Shape); using var gv = Device.Allocate(v.Shape);
        using var gkAll = Device.Allocate(keys.Shape);
        DeviceAttention.Backward(Device, saved, dg, gq, gk, gv);
        DeviceAttention.Backward(Device, saved, dg, null, gkAll, null);
        Compare.Close(y, output, what: "attention");
        Compare.Close(q.Grad, gq.ToArray(), what: "grad q");
        Compare.Close(k.Grad, gk.ToArray(), what: "grad k");
        Compare.Close(v.Grad, gv.ToArray(), what: "grad v");
        using var newKeys = Device.Kernels.Slice(gkAll, 1, prompt, t); // the whole keys' gradient ends in the new positions' one
        Compare.Close(gk.ToArray(), newKeys.ToArray(), what: "grad of the whole keys");
    }

    [Fact]
    public void Attention_names_the_shapes_when_keys_do_not_fit_the_heads()
    {
        using var q = Device.Allocate(1, 2, 6); using var k = Device.Allocate(1, 2, 4);
        var e = Assert.Throws<ArgumentException>(() => DeviceAttention.Forward(Device, q, k, k, 2, 1));
        Assert.Contains("(1, 2, 4)", e.Message);
        Assert.Contains("(1, 2, 3)", e.Message);
    }

    [Fact]
    public void Fused_qkv_attention_with_a_cache_on_the_device_matches_the_host_over_a_prompt_and_a_decode_step()
    {
        const int heads = 2, d = 3, prompt = 4, batch = 2, c = heads * d;
        int[] keyStart = [1, 0];
        var hostCache = new KvCache(batch, prompt + 1, c);
        var deviceCache = new KvCache(batch, prompt + 1, c, Device);
        foreach (var (t, seed) in new[] { (prompt, 161), (1, 162) })
        {
            var results = new List<float[]>();
            foreach (var cache in new[] { hostCache, deviceCache })
            {
                var qkv = Compare.Leaf(seed, batch, t, 3 * c);
                var y = Ops.ToHost(Ops.AttentionQkv(Ops.ToDevice(qkv, cache.Device), heads, cache, keyStart)); // gradients flow back through the copies
                Ops.Sum(Ops.Mul(y, Tensor.FromArray(Compare.Values(y.Size, seed + 10), y.Shape))).Backward();
                results.Add([.. y.ToArray(), .. qkv.Grad!]);
            }
            Compare.Close(results[0], results[1], what: $"qkv attention and its gradient over {t} queries");
        }
        Assert.Equal(hostCache.Length, deviceCache.Length);
    }

    [Fact]
    public void A_cache_on_the_device_copies_shared_prompt_rows_and_refuses_to_overflow()
    {
        const int width = 4;
        var k = Compare.Leaf(171, 2, 2, width); var v = Compare.Leaf(172, 2, 2, width);
        var results = new List<float[]>();
        foreach (var device in new TensorDevice[] { TensorDevice.Cpu, Device })
        {
            using var noGrad = Autograd.NoGrad();
            var source = new KvCache(2, 3, width, device);
            var q = Ops.ToDevice(k, device);
            Ops.Attention(q, q, Ops.ToDevice(v, device), 1, 1, source); // appends two positions of k, v
            var copy = new KvCache(3, 4, width, device);
            copy.CopyRowsFrom(source, [1, 1, 0]);
            Assert.Equal(2, copy.Length);
            var last = Compare.Leaf(173, 3, 1, width);
            var y = Ops.Attention(Ops.ToDevice(last, device), Ops.ToDevice(last, device), Ops.ToDevice(last, device), 1, 1, copy); // reads the copied rows
            results.Add(Ops.ToHost(y).ToArray());
            var e = Assert.Throws<InvalidOperationException>(() => Ops.Attention(q, q, q, 1, 1, source));
            Assert.Contains("2 + 2 positions exceed the capacity 3", e.Message);
        }
        Compare.Close(results[0], results[1], what: "attention over copied cache rows");
    }
}
