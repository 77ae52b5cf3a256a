// The few-query attention path (T ≤ 4, used when decoding) against the GEMM path: with a causal mask the first
// queries of a long call see exactly the keys of a short call over the same prefix.
namespace Rebel.Tensors.Tests;

public class AttentionDirectPathTests
{
    [Theory]
    [InlineData(1, 4, 4)]
    [InlineData(3, 4, 2)]
    [InlineData(4, 6, 1)]
    public void ShortCall_EqualsPrefixOfLongCall(int shortT, int heads, int kvHeads)
    {
        const int batch = 3, longT = 9, d = 8;
        var rng = new Rng(5);
        Tensor Random(int t, int h)
        {
            var data = new float[batch * longT * h * d];
            rng.FillNormal(data);
            var full = Tensor.FromArray(data, batch, longT, h * d);
            return t == longT ? full : Ops.Slice(full, 1, 0, t);
        }
        var q = Random(longT, heads); var k = Random(longT, kvHeads); var v = Random(longT, kvHeads);
        int[] keyStart = [0, 1, 2];
        var expected = Ops.Slice(Ops.Attention(q, k, v, heads, kvHeads, keyStart: keyStart), 1, 0, shortT).ToArray();
        var actual = Ops.Attention(Ops.Slice(q, 1, 0, shortT), Ops.Slice(k, 1, 0, shortT), Ops.Slice(v, 1, 0, shortT), heads, kvHeads, keyStart: keyStart).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(MathF.Abs(expected[i] - actual[i]) < 1e-5f, $"element {i}: {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void CachedDecoding_EqualsOneCall()
    {
        const int batch = 2, t = 7, heads = 4, kvHeads = 2, d = 8;
        var rng = new Rng(9);
        var q = new float[batch * t * heads * d]; var k = new float[batch * t * kvHeads * d]; var v = new float[k.Length];
        rng.FillNormal(q); rng.FillNormal(k); rng.FillNormal(v);
        var expected = Ops.Attention(Tensor.FromArray(q, batch, t, heads * d), Tensor.FromArray(k, batch, t, kvHeads * d),
            Tensor.FromArray(v, batch, t, kvHeads * d), heads, kvHeads, keyStart: [2, 0]).ToArray();
        var cache = new KvCache(batch, t, kvHeads * d);
        for (int s = 0; s < t; s++)
        {
            Tensor Step(float[] x, int w)
            {
                var row = new float[batch * w];
                for (int b = 0; b < batch; b++) x.AsSpan((b * t + s) * w, w).CopyTo(row.AsSpan(b * w));
                return Tensor.FromArray(row, batch, 1, w);
            }
            var y = Ops.Attention(Step(q, heads * d), Step(k, kvHeads * d), Step(v, kvHeads * d), heads, kvHeads, cache, [2, 0]).ToArray();
            for (int b = 0; b < batch; b++)
                for (int i = 0; i < heads * d; i++)
                    Assert.True(MathF.Abs(expected[(b * t + s) * heads * d + i] - y[b * heads * d + i]) < 1e-5f, $"b={b} s={s} i={i}");
        }
    }
}
