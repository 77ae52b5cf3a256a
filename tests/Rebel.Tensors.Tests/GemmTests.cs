// Every GEMM path (AVX-512, AVX2, scalar) against the double-accumulating scalar reference, across sizes 0..257,
// all transpose combinations, accumulation, threaded and batched calls.
using Rebel.Tensors.Kernels;

namespace Rebel.Tensors.Tests;

public partial class GemmTests
{
    public static TheoryData<GemmPath> Paths => [GemmPath.Scalar, GemmPath.Avx2, GemmPath.Avx512];

    [Theory]
    [MemberData(nameof(Paths))]
    public void Square_sizes_0_to_64_all_transposes_equal_reference(GemmPath path)
    {
        var rng = new Random(11);
        for (int s = 0; s <= 64; s++)
        {
            for (int t = 0; t < 4; t++) AssertMatchesReference(path, rng, s, s, s, transA: (t & 1) != 0, transB: (t & 2) != 0, accumulate: s % 3 == 0);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Each_dimension_swept_0_to_257_equals_reference(GemmPath path)
    {
        var rng = new Random(12);
        for (int s = 0; s <= 257; s++)
        {
            bool transA = (s & 1) != 0, transB = (s & 2) != 0, accumulate = s % 5 == 0;
            AssertMatchesReference(path, rng, s, 37, 19, transA, transB, accumulate);
            AssertMatchesReference(path, rng, 13, s, 23, transA, transB, accumulate);
            AssertMatchesReference(path, rng, 15, 33, s, transA, transB, accumulate);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Odd_large_dimensions_span_several_blocks(GemmPath path)
    {
        var rng = new Random(13);
        const int odd = 6 * 512 + 7;
        for (int t = 0; t < 4; t++)
        {
            bool transA = (t & 1) != 0, transB = (t & 2) != 0;
            AssertMatchesReference(path, rng, odd, 33, 21, transA, transB, accumulate: t == 1);
            AssertMatchesReference(path, rng, 9, odd, 17, transA, transB, accumulate: t == 2);
            AssertMatchesReference(path, rng, 29, 35, odd, transA, transB, accumulate: t == 3);
            AssertMatchesReference(path, rng, 5, 4099, 7, transA, transB, accumulate: t == 0);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Threaded_products_equal_reference(GemmPath path)
    {
        var rng = new Random(14);
        foreach (var (m, n, k) in new[] { (130, 131, 129), (301, 97, 260), (61, 401, 113), (7, 1001, 300) })
        {
            for (int t = 0; t < 4; t++) AssertMatchesReference(path, rng, m, n, k, (t & 1) != 0, (t & 2) != 0, accumulate: t == 3);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Threaded_products_in_several_shared_rounds_equal_single_thread_bit_for_bit(GemmPath path)
    {
        // A shared-operand cap of 4096 floats forces several packing rounds: row chunks (m ≥ n) and column chunks (m < n).
        var rng = new Random(18);
        foreach (var (m, n, k) in new[] { (301, 97, 260), (61, 401, 113), (200, 200, 300), (97, 1001, 31) })
        {
            for (int t = 0; t < 8; t++)
            {
                bool transA = (t & 1) != 0, transB = (t & 2) != 0, accumulate = (t & 4) != 0;
                float[] a = RandomArray(rng, m * k), b = RandomArray(rng, k * n), c = RandomArray(rng, m * n);
                float[] single = (float[])c.Clone(), expected = (float[])c.Clone();
                Gemm.MultiplyOn(path, a, b, c, m, n, k, transA, transB, accumulate, allowThreads: true, sharedFloats: 4096);
                Gemm.MultiplyOn(path, a, b, single, m, n, k, transA, transB, accumulate, allowThreads: false);
                Assert.Equal(single, c);
                if (t % 3 != 0) continue;
                float[] scale = Magnitude(a, b, accumulate ? (float[])expected.Clone() : null, m, n, k, transA, transB);
                Gemm.Reference(a, b, expected, m, n, k, transA, transB, accumulate);
                AssertClose(expected, c, scale, k, $"path={path} m={m} n={n} k={k} transA={transA} transB={transB} accumulate={accumulate}");
            }
        }
    }

    [Fact]
    public void ForcedPath_selects_the_path_and_Multiply_uses_it()
    {
        var rng = new Random(15);
        GemmPath? saved = Gemm.ForcedPath;
        try
        {
            foreach (GemmPath path in new[] { GemmPath.Scalar, GemmPath.Avx2, GemmPath.Avx512 })
            {
                Gemm.ForcedPath = path;
                Assert.Equal(path <= Gemm.BestSupportedPath ? path : Gemm.BestSupportedPath, Gemm.ActivePath);
                float[] a = RandomArray(rng, 40 * 50), b = RandomArray(rng, 50 * 30), c = new float[40 * 30], expected = new float[40 * 30];
                Gemm.Multiply(a, b, c, 40, 30, 50);
                Gemm.Reference(a, b, expected, 40, 30, 50, false, false, false);
                AssertClose(expected, c, Magnitude(a, b, null, 40, 30, 50, false, false), 50);
            }
        }
        finally
        {
            Gemm.ForcedPath = saved;
        }
    }

    [Theory]
    [InlineData("avx512", GemmPath.Avx512)]
    [InlineData(" AVX2 ", GemmPath.Avx2)]
    [InlineData("scalar", GemmPath.Scalar)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Path_names_parse(string? name, GemmPath? expected) => Assert.Equal(expected, Gemm.ParsePath(name));

    [Fact]
    public void Unknown_path_name_throws() => Assert.Throws<ArgumentException>(() => Gemm.ParsePath("sse"));

    [Fact]
    public void Too_small_buffers_throw() =>
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[5], new float[6], new float[6], 2, 3, 3));

    [Theory]
    [InlineData(7, 12, 16, 8, false, false, false, 0)]
    [InlineData(9, 33, 17, 64, true, false, true, 1)]
    [InlineData(4, 130, 120, 110, false, true, false, 2)]
    [InlineData(3, 5, 7, 9, true, true, true, 3)]
    public void Batched_equals_reference_per_item(int batch, int m, int n, int k, bool transA, bool transB, bool accumulate, int shared)
    {
        // shared: 1 shares A across the batch (strideA = 0), 2 shares B, other values share nothing
        var rng = new Random(16 + batch);
        int strideA = shared == 1 ? 0 : m * k + 3, strideB = shared == 2 ? 0 : k * n + 1, strideC = m * n + 5;
        float[] a = RandomArray(rng, strideA * (batch - 1) + m * k);
        float[] b = RandomArray(rng, strideB * (batch - 1) + k * n);
        float[] c = RandomArray(rng, strideC * (batch - 1) + m * n);
        float[] expected = (float[])c.Clone();
        Gemm.MultiplyBatched(a, b, c, batch, m, n, k, strideA, strideB, strideC, transA, transB, accumulate);
        for (int i = 0; i < batch; i++)
        {
            var ai = a.AsSpan(i * strideA, m * k).ToArray();
            var bi = b.AsSpan(i * strideB, k * n).ToArray();
            var ei = expected.AsSpan(i * strideC, m * n);
            var c0 = ei.ToArray();
            Gemm.Reference(ai, bi, ei, m, n, k, transA, transB, accumulate);
            AssertClose(ei.ToArray(), c.AsSpan(i * strideC, m * n).ToArray(), Magnitude(ai, bi, accumulate ? c0 : null, m, n, k, transA, transB), k);
            if (i < batch - 1) Assert.Equal(expected[i * strideC + m * n], c[i * strideC + m * n]); // gap untouched
        }
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(1, 1, 1)]
    [InlineData(28, 56, 64)]
    [InlineData(15, 33, 7)]
    [InlineData(130, 97, 129)]
    public void Strided_equals_reference_on_dense_copies(int m, int n, int k)
    {
        // Operands sit inside wider rows (padding 3..5 columns), as one head inside a (T, H·D) matrix; C's padding is untouched.
        var rng = new Random(17 + m);
        for (int t = 0; t < 8; t++)
        {
            bool transA = (t & 1) != 0, transB = (t & 2) != 0, accumulate = (t & 4) != 0;
            int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
            int lda = aCols + 3, ldb = bCols + 5, ldc = n + 4;
            float[] a = RandomArray(rng, aRows * lda), b = RandomArray(rng, bRows * ldb), c = RandomArray(rng, m * ldc);
            float[] c0 = (float[])c.Clone();
            Gemm.MultiplyStrided(a, lda, b, ldb, c, ldc, m, n, k, transA, transB, accumulate, allowThreads: t % 3 == 0);
            float[] ad = Dense(a, aRows, aCols, lda), bd = Dense(b, bRows, bCols, ldb), expected = Dense(c0, m, n, ldc);
            float[] scale = Magnitude(ad, bd, accumulate ? (float[])expected.Clone() : null, m, n, k, transA, transB);
            Gemm.Reference(ad, bd, expected, m, n, k, transA, transB, accumulate);
            AssertClose(expected, Dense(c, m, n, ldc), scale, k, $"strided m={m} n={n} k={k} transA={transA} transB={transB} accumulate={accumulate}");
            for (int i = 0; i < m; i++)
                for (int j = n; j < ldc; j++) Assert.Equal(c0[i * ldc + j], c[i * ldc + j]);
        }
    }

    [Fact]
    public void Strided_rejects_a_row_stride_below_the_width() =>
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyStrided(new float[12], 2, new float[12], 3, new float[12], 3, 3, 3, 3));

    private static float[] Dense(float[] x, int rows, int cols, int ld)
    {
        var d = new float[rows * cols];
        for (int i = 0; i < rows; i++) x.AsSpan(i * ld, cols).CopyTo(d.AsSpan(i * cols, cols));
        return d;
    }

    private static void AssertMatchesReference(GemmPath path, Random rng, int m, int n, int k, bool transA, bool transB, bool accumulate)
    {
        float[] a = RandomArray(rng, m * k), b = RandomArray(rng, k * n);
        float[] c = RandomArray(rng, m * n), expected = (float[])c.Clone(), c0 = (float[])c.Clone();
        Gemm.MultiplyOn(path, a, b, c, m, n, k, transA, transB, accumulate, allowThreads: true);
        Gemm.Reference(a, b, expected, m, n, k, transA, transB, accumulate);
        AssertClose(expected, c, Magnitude(a, b, accumulate ? c0 : null, m, n, k, transA, transB), k,
            $"path={path} m={m} n={n} k={k} transA={transA} transB={transB} accumulate={accumulate}");
    }

    /// <summary>|op(A)|·|op(B)| (+ |C0|): the scale that float rounding errors are relative to.</summary>
    private static float[] Magnitude(float[] a, float[] b, float[]? c0, int m, int n, int k, bool transA, bool transB)
    {
        float[] scale = c0 is null ? new float[m * n] : c0.Select(Math.Abs).ToArray();
        Gemm.Reference(a.Select(Math.Abs).ToArray(), b.Select(Math.Abs).ToArray(), scale, m, n, k, transA, transB, accumulate: true);
        return scale;
    }

    private static void AssertClose(float[] expected, float[] actual, float[] scale, int k, string what = "")
    {
        // float accumulation error grows like sqrt(k) · eps · Σ|a||b|; a wrong or missing term is far larger
        double factor = 1e-6 * Math.Sqrt(k + 1);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = factor * scale[i] + 1e-30;
            if (!(Math.Abs(expected[i] - actual[i]) <= tolerance))
                Assert.Fail($"{what}: element {i}: expected {expected[i]}, got {actual[i]} (tolerance {tolerance})");
        }
    }

    private static float[] RandomArray(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
