// Fused attention: forward against a naive per-head implementation in double, gradients against finite differences
// for causal, non-causal, grouped-query, left-padded and cached calls, and the cache path against the full sequence.
using Rebel.Tensors;

namespace Rebel.Tensors.Tests;

public class AttentionGradTests
{
    private const int B = 2, D = 3;

    /// <summary>
    /// Naive attention: q (B, T, H·D), keys and values (B, S, Hkv·D) holding every position (past ones first);
    /// query t sits at position S − T + t. Fully masked rows give zeros. A window W &gt; 0 hides keys W or more positions back;
    /// a soft cap c &gt; 0 turns each score u into c·tanh(u/c); scale defaults to 1/√D.
    /// </summary>
    private static double[] Naive(float[] q, float[] keys, float[] values, int t, int s, int heads, int kvHeads, int[]? keyStart, bool causal, int d = D,
        int window = 0, double softCap = 0, double? scale = null)
    {
        int w = heads * d, kvw = kvHeads * d, past = s - t;
        var y = new double[B * t * w];
        for (int b = 0; b < B; b++)
            for (int h = 0; h < heads; h++)
            {
                int j = h / (heads / kvHeads);
                for (int i = 0; i < t; i++)
                {
                    var scores = new double[s];
                    var live = new bool[s];
                    double max = double.NegativeInfinity;
                    for (int p = 0; p < s; p++)
                    {
                        live[p] = p >= (keyStart?[b] ?? 0) && (!causal || p <= past + i) && (window == 0 || past + i - p < window);
                        if (!live[p]) continue;
                        double dot = 0;
                        for (int c = 0; c < d; c++) dot += (double)q[(b * t + i) * w + h * d + c] * keys[(b * s + p) * kvw + j * d + c];
                        scores[p] = dot * (scale ?? 1 / Math.Sqrt(d));
                        if (softCap > 0) scores[p] = softCap * Math.Tanh(scores[p] / softCap);
                        max = Math.Max(max, scores[p]);
                    }
                    double z = 0;
                    for (int p = 0; p < s; p++) if (live[p]) z += Math.Exp(scores[p] - max);
                    for (int p = 0; p < s; p++)
                    {
                        if (!live[p]) continue;
                        double prob = Math.Exp(scores[p] - max) / z;
                        for (int c = 0; c < d; c++) y[(b * t + i) * w + h * d + c] += prob * values[(b * s + p) * kvw + j * d + c];
                    }
                }
            }
        return y;
    }

    // Joins past (B, P, W) and new (B, T, W) along time.
    private static float[] Join(Tensor past, Tensor now) => Ops.Concat([past, now], 1).ToArray();

    public static TheoryData<string, int, int, bool, int[]?> Cases => new()
    {
        { "causal", 2, 2, true, null },
        { "non-causal", 2, 2, false, null },
        { "grouped-query", 4, 2, true, null },
        { "multi-query", 3, 1, true, null },
        { "left padding", 2, 1, true, [0, 2] },
        { "left padding non-causal", 2, 2, false, [1, 3] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesNaive(string name, int heads, int kvHeads, bool causal, int[]? keyStart)
    {
        const int t = 5;
        var q = GradCheck.Param(1, 1f, B, t, heads * D);
        var k = GradCheck.Param(2, 1f, B, t, kvHeads * D);
        var v = GradCheck.Param(3, 1f, B, t, kvHeads * D);
        var y = Ops.Attention(q, k, v, heads, kvHeads, keyStart: keyStart, causal: causal);
        Assert.Equal(q.Shape, y.Shape);
        GradCheck.AssertClose(name, Naive(q.ToArray(), k.ToArray(), v.ToArray(), t, t, heads, kvHeads, keyStart, causal), y.Span, 1e-5);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradients(string name, int heads, int kvHeads, bool causal, int[]? keyStart)
    {
        const int t = 4;
        var q = GradCheck.Param(4, 1f, B, t, heads * D);
        var k = GradCheck.Param(5, 1f, B, t, kvHeads * D);
        var v = GradCheck.Param(6, 1f, B, t, kvHeads * D);
        GradCheck.Check(name, x => Ops.Attention(x[0], x[1], x[2], heads, kvHeads, keyStart: keyStart, causal: causal), [q, k, v]);
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, null)]
    [InlineData(true, new[] { 0, 2 })]
    public void CachedCallForwardAndGradients(bool causal, int[]? keyStart)
    {
        const int heads = 4, kvHeads = 2, prefix = 3, t = 2;
        var cache = new KvCache(B, 8, kvHeads * D);
        var qp = GradCheck.Param(7, 1f, B, prefix, heads * D);
        var kp = GradCheck.Param(8, 1f, B, prefix, kvHeads * D);
        var vp = GradCheck.Param(9, 1f, B, prefix, kvHeads * D);
        using (Autograd.NoGrad()) Ops.Attention(qp, kp, vp, heads, kvHeads, cache, keyStart, causal);
        Assert.Equal(prefix, cache.Length);
        var q = GradCheck.Param(10, 1f, B, t, heads * D);
        var k = GradCheck.Param(11, 1f, B, t, kvHeads * D);
        var v = GradCheck.Param(12, 1f, B, t, kvHeads * D);
        Tensor Step(Tensor[] x)
        {
            cache.Truncate(prefix); // each call appends its keys: start every evaluation from the prefix
            return Ops.Attention(x[0], x[1], x[2], heads, kvHeads, cache, keyStart, causal);
        }
        var y = Step([q, k, v]);
        Assert.Equal(prefix + t, cache.Length);
        GradCheck.AssertClose("cached attention", Naive(q.ToArray(), Join(kp, k), Join(vp, v), t, prefix + t, heads, kvHeads, keyStart, causal), y.Span, 1e-5);
        GradCheck.Check("cached attention", Step, [q, k, v]);
    }

    [Fact]
    public void CachePathEqualsFullSequence()
    {
        const int heads = 4, kvHeads = 2, t = 7, first = 4;
        int[] keyStart = [0, 1];
        var q = GradCheck.Param(13, 1f, B, t, heads * D);
        var k = GradCheck.Param(14, 1f, B, t, kvHeads * D);
        var v = GradCheck.Param(15, 1f, B, t, kvHeads * D);
        using var _ = Autograd.NoGrad();
        var full = Ops.Attention(q, k, v, heads, kvHeads, keyStart: keyStart);
        var cache = new KvCache(B, t, kvHeads * D);
        var y1 = Ops.Attention(Ops.Slice(q, 1, 0, first), Ops.Slice(k, 1, 0, first), Ops.Slice(v, 1, 0, first), heads, kvHeads, cache, keyStart);
        var y2 = Ops.Attention(Ops.Slice(q, 1, first, t - first), Ops.Slice(k, 1, first, t - first), Ops.Slice(v, 1, first, t - first), heads, kvHeads, cache, keyStart);
        var stepped = Ops.Concat([y1, y2], 1);
        var expected = full.ToArray().Select(x => (double)x).ToArray();
        GradCheck.AssertClose("cache vs full", expected, stepped.Span, 1e-6);
    }

    [Fact]
    public void ParallelPathMatchesNaiveAndDirectionalDerivative()
    {
        // B·H·T·S·D ≥ 32768 runs the (batch row, key/value head) groups with Parallel.For; too big for element-wise finite
        // differences, so check the forward against the naive version and the gradient along one random direction u:
        // ⟨∇L, u⟩ ≈ (L(x + εu) − L(x − εu)) / 2ε.
        const int heads = 4, kvHeads = 2, t = 16, d = 16;
        var q = GradCheck.Param(16, 1f, B, t, heads * d);
        var k = GradCheck.Param(17, 1f, B, t, kvHeads * d);
        var v = GradCheck.Param(18, 1f, B, t, kvHeads * d);
        int[] keyStart = [0, 5];
        var w = GradCheck.Param(19, 1f, B, t, heads * d).Detach();
        Tensor Loss() => Ops.Sum(Ops.Mul(Ops.Attention(q, k, v, heads, kvHeads, keyStart: keyStart), w));
        Loss().Backward();
        Tensor[] inputs = [q, k, v];
        var directions = inputs.Select((x, i) => GradCheck.Param(20 + (ulong)i, 1f, x.Shape).ToArray()).ToArray();
        double analytic = 0;
        for (int i = 0; i < 3; i++) analytic += directions[i].Select((u, j) => (double)u * inputs[i].Grad![j]).Sum();
        double Shifted(float eps)
        {
            var saved = inputs.Select(x => x.ToArray()).ToArray();
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < inputs[i].Size; j++) inputs[i].Span[j] += eps * directions[i][j];
            double loss;
            using (Autograd.NoGrad()) loss = Loss().Item();
            for (int i = 0; i < 3; i++) saved[i].CopyTo(inputs[i].Span);
            return loss;
        }
        const float h = 1e-2f;
        double numeric = (Shifted(h) - Shifted(-h)) / (2 * h);
        Assert.True(Math.Abs(numeric - analytic) <= 1e-2 * Math.Max(1, Math.Abs(analytic)), $"directional derivative: autograd {analytic} vs numeric {numeric}");
        var y = Ops.Attention(q, k, v, heads, kvHeads, keyStart: keyStart);
        GradCheck.AssertClose("parallel attention", Naive(q.ToArray(), k.ToArray(), v.ToArray(), t, t, heads, kvHeads, keyStart, causal: true, d), y.Span, 1e-5);
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, null)]
    [InlineData(true, new[] { 0, 37 })]
    public void LongCallSpansSeveralQueryChunks(bool causal, int[]? keyStart)
    {
        // T = 61 runs three causal query chunks (28, 28, 5 queries), each scoring only the keys it can see.
        const int heads = 2, kvHeads = 1, t = 61;
        var q = GradCheck.Param(30, 1f, B, t, heads * D);
        var k = GradCheck.Param(31, 1f, B, t, kvHeads * D);
        var v = GradCheck.Param(32, 1f, B, t, kvHeads * D);
        var y = Ops.Attention(q, k, v, heads, kvHeads, keyStart: keyStart, causal: causal);
        GradCheck.AssertClose("long attention", Naive(q.ToArray(), k.ToArray(), v.ToArray(), t, t, heads, kvHeads, keyStart, causal), y.Span, 1e-5);
        GradCheck.Check("long attention", x => Ops.Attention(x[0], x[1], x[2], heads, kvHeads, keyStart: keyStart, causal: causal), [q, k, v]);
    }

    [Fact]
    public void LongCachedCallEqualsFullSequence()
    {
        // A 40-token call after 30 cached ones: the causal chunks start at past + t0.
        const int heads = 2, kvHeads = 2, t = 70, first = 30, d = 8;
        int[] keyStart = [0, 3];
        var q = GradCheck.Param(33, 1f, B, t, heads * d);
        var k = GradCheck.Param(34, 1f, B, t, kvHeads * d);
        var v = GradCheck.Param(35, 1f, B, t, kvHeads * d);
        using var _ = Autograd.NoGrad();
        var full = Ops.Attention(q, k, v, heads, kvHeads, keyStart: keyStart);
        var cache = new KvCache(B, t, kvHeads * d);
        var y1 = Ops.Attention(Ops.Slice(q, 1, 0, first), Ops.Slice(k, 1, 0, first), Ops.Slice(v, 1, 0, first), heads, kvHeads, cache, keyStart);
        var y2 = Ops.Attention(Ops.Slice(q, 1, first, t - first), Ops.Slice(k, 1, first, t - first), Ops.Slice(v, 1, first, t - first), heads, kvHeads, cache, keyStart);
        var expected = full.ToArray().Select(x => (double)x).ToArray();
        GradCheck.AssertClose("long cache vs full", expected, Ops.Concat([y1, y2], 1).Span, 1e-5);
    }

    [Theory]
    [InlineData(5, null)]
    [InlineData(33, new[] { 0, 2 })]
    public void FusedQkvEqualsSlices(int t, int[]? keyStart)
    {
        const int heads = 2, c = heads * D;
        var qkv = GradCheck.Param(36, 1f, B, t, 3 * c);
        var seed = GradCheck.Param(37, 1f, B, t, c).Detach();
        Tensor Sliced(Tensor x) => Ops.Attention(Ops.Slice(x, 2, 0, c), Ops.Slice(x, 2, c, c), Ops.Slice(x, 2, 2 * c, c), heads, heads, keyStart: keyStart);
        (float[] Y, float[] Grad) Run(Func<Tensor, Tensor> f)
        {
            qkv.ZeroGrad();
            var y = f(qkv);
            Ops.Sum(Ops.Mul(y, seed)).Backward();
            return (y.ToArray(), qkv.Grad!.ToArray());
        }
        var fused = Run(x => Ops.AttentionQkv(x, heads, keyStart: keyStart));
        var sliced = Run(Sliced);
        GradCheck.AssertClose("qkv forward", sliced.Y.Select(x => (double)x).ToArray(), fused.Y, 1e-6);
        GradCheck.AssertClose("qkv gradient", sliced.Grad.Select(x => (double)x).ToArray(), fused.Grad, 1e-6);
        if (t < 10) GradCheck.Check("qkv attention", x => Ops.AttentionQkv(x[0], heads, keyStart: keyStart), [qkv]);
    }

    [Fact]
    public void FusedQkvWithCacheEqualsSlices()
    {
        const int heads = 2, c = heads * D, t = 6, first = 4;
        var qkv = GradCheck.Param(38, 1f, B, t, 3 * c);
        using var _ = Autograd.NoGrad();
        var expected = Ops.AttentionQkv(qkv, heads, keyStart: [1, 0]).ToArray().Select(x => (double)x).ToArray();
        var cache = new KvCache(B, t, c);
        var y1 = Ops.AttentionQkv(Ops.Slice(qkv, 1, 0, first), heads, cache, [1, 0]);
        var y2 = Ops.AttentionQkv(Ops.Slice(qkv, 1, first, t - first), heads, cache, [1, 0]);
        GradCheck.AssertClose("qkv cache vs full", expected, Ops.Concat([y1, y2], 1).Span, 1e-6);
    }

    [Fact]
    public void ShapeMismatchNamesOpAndShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.Attention(Tensor.Zeros(1, 2, 6), Tensor.Zeros(1, 3, 6), Tensor.Zeros(1, 3, 6), 2, 2));
        Assert.Contains("Attention", ex.Message);
        Assert.Contains("(1, 3, 6)", ex.Message);
        Assert.Contains("(1, 2, 6)", ex.Message);
    }

    public static TheoryData<string, int, int[]?, int, float, float?> ScoreOptions => new()
    {
        { "sliding window", 2, null, 2, 0f, null },
        { "sliding window, left padding", 2, new[] { 0, 2 }, 3, 0f, null },
        { "soft cap", 1, null, 0, 0.7f, null },
        { "soft cap, scale, window", 2, new[] { 1, 0 }, 2, 1.5f, 0.9f },
    };

    [Theory]
    [MemberData(nameof(ScoreOptions))]
    public void WindowSoftCapAndScale_ForwardAndGradients(string name, int kvHeads, int[]? keyStart, int window, float softCap, float? scale)
    {
        const int heads = 2, t = 6;
        var q = GradCheck.Param(40, 1.5f, B, t, heads * D);
        var k = GradCheck.Param(41, 1.5f, B, t, kvHeads * D);
        var v = GradCheck.Param(42, 1f, B, t, kvHeads * D);
        Tensor F(Tensor[] x) => Ops.Attention(x[0], x[1], x[2], heads, kvHeads, keyStart: keyStart, slidingWindow: window, softCap: softCap, scale: scale);
        var expected = Naive(q.ToArray(), k.ToArray(), v.ToArray(), t, t, heads, kvHeads, keyStart, causal: true, D, window, softCap, scale);
        GradCheck.AssertClose(name, expected, F([q, k, v]).Span, 1e-5);
        GradCheck.Check(name, F, [q, k, v]);
    }

    [Theory]
    [InlineData(3, 0f)]
    [InlineData(5, 0.8f)]
    public void WindowedCachedDecoding_EqualsOneCall(int window, float softCap)
    {
        // Prefix of 3, then one token at a time, then a 4-token chunk: every call sees only the last `window` keys.
        const int heads = 4, kvHeads = 2, t = 12, d = 8;
        int[] keyStart = [0, 2];
        var q = GradCheck.Param(43, 1f, B, t, heads * d);
        var k = GradCheck.Param(44, 1f, B, t, kvHeads * d);
        var v = GradCheck.Param(45, 1f, B, t, kvHeads * d);
        using var _ = Autograd.NoGrad();
        var full = Ops.Attention(q, k, v, heads, kvHeads, keyStart: keyStart, slidingWindow: window, softCap: softCap);
        GradCheck.AssertClose("windowed full", Naive(q.ToArray(), k.ToArray(), v.ToArray(), t, t, heads, kvHeads, keyStart, true, d, window, softCap), full.Span, 1e-5);
        var cache = new KvCache(B, t, kvHeads * d);
        var parts = new List<Tensor>();
        foreach (var (start, len) in new[] { (0, 3), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1), (8, 4) })
            parts.Add(Ops.Attention(Ops.Slice(q, 1, start, len), Ops.Slice(k, 1, start, len), Ops.Slice(v, 1, start, len), heads, kvHeads, cache, keyStart,
                slidingWindow: window, softCap: softCap));
        GradCheck.AssertClose("windowed cache vs full", full.ToArray().Select(x => (double)x).ToArray(), Ops.Concat(parts, 1).Span, 1e-6);
    }

    [Fact]
    public void LongWindowedCallSpansSeveralQueryChunks()
    {
        const int heads = 2, kvHeads = 1, t = 61;
        var q = GradCheck.Param(46, 1f, B, t, heads * D);
        var k = GradCheck.Param(47, 1f, B, t, kvHeads * D);
        var v = GradCheck.Param(48, 1f, B, t, kvHeads * D);
        int[] keyStart = [0, 9];
        Tensor F(Tensor[] x) => Ops.Attention(x[0], x[1], x[2], heads, kvHeads, keyStart: keyStart, slidingWindow: 17, softCap: 2f);
        GradCheck.AssertClose("long windowed", Naive(q.ToArray(), k.ToArray(), v.ToArray(), t, t, heads, kvHeads, keyStart, true, D, 17, 2.0), F([q, k, v]).Span, 1e-5);
        GradCheck.Check("long windowed", F, [q, k, v]);
    }

    [Fact]
    public void BadScoreOptions_Throw()
    {
        var q = GradCheck.Param(49, 1f, B, 3, 2 * D);
        Assert.Throws<ArgumentException>(() => Ops.Attention(q, q, q, 2, 2, slidingWindow: 2, causal: false));
        Assert.Throws<ArgumentException>(() => Ops.Attention(q, q, q, 2, 2, slidingWindow: -1));
        Assert.Throws<ArgumentException>(() => Ops.Attention(q, q, q, 2, 2, softCap: -1));
        Assert.Throws<ArgumentException>(() => Ops.Attention(q, q, q, 2, 2, scale: 0));
    }
}
