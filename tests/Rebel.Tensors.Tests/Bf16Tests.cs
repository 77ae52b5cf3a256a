// bfloat16 storage: rounding to nearest even, the vectorised widening against its scalar reference at every length, and
// the matrix ops on a bf16-held weight against the same ops on its float32 widening.
using Rebel.Tensors.Kernels;

namespace Rebel.Tensors.Tests;

public class Bf16Tests
{
    [Theory]
    [InlineData(1f, (ushort)0x3F80)]
    [InlineData(-2f, (ushort)0xC000)]
    [InlineData(1.00390625f, (ushort)0x3F80)] // 1 + 2⁻⁸: a tie, to the even 0x3F80
    [InlineData(1.01171875f, (ushort)0x3F82)] // 1 + 3·2⁻⁸: a tie, to the even 0x3F82
    [InlineData(1.0078125f, (ushort)0x3F81)] // 1 + 2⁻⁷: exact
    [InlineData(float.PositiveInfinity, (ushort)0x7F80)]
    public void FromSingle_RoundsToNearestEven(float x, ushort expected) => Assert.Equal(expected, Bf16.FromSingle(x));

    [Fact]
    public void FromSingle_KeepsNaN() => Assert.True(float.IsNaN(Bf16.ToSingle(Bf16.FromSingle(float.NaN))));

    [Fact]
    public void Widen_EqualsTheScalarReferenceAtEveryLength()
    {
        var rng = new Rng(3);
        for (int n = 0; n <= 257; n++)
        {
            var bits = new ushort[n];
            for (int i = 0; i < n; i++) bits[i] = (ushort)rng.NextInt(65536);
            float[] fast = new float[n], slow = new float[n];
            Bf16.Widen(bits, fast);
            Bf16.WidenReference(bits, slow);
            for (int i = 0; i < n; i++) Assert.Equal(BitConverter.SingleToUInt32Bits(slow[i]), BitConverter.SingleToUInt32Bits(fast[i]));
        }
    }

    [Theory]
    [InlineData(32, 1, 19, 7)] // B not transposed, full panels: the vector widening
    [InlineData(16, 1, 13, 5)]
    [InlineData(33, 1, 9, 3)] // a partial last panel
    [InlineData(29, 41, 1, 4)] // B transposed (nn.Linear's weight): lines contiguous
    [InlineData(7, 3, 5, 8)] // general strides, one partial panel
    public unsafe void PackPanelsBf16_EqualsPackPanelsOfTheWidenedMatrix(int width, int strideW, int strideL, int length)
    {
        int w = width >= 32 ? 32 : 16;
        int size = (width - 1) * strideW + (length - 1) * strideL + 1;
        var rng = new Rng((ulong)(width * 100 + length));
        var bits = new ushort[size];
        for (int i = 0; i < size; i++) bits[i] = Bf16.FromSingle((float)(rng.NextInt(2001) - 1000) / 97f);
        var wide = new float[size];
        Bf16.WidenReference(bits, wide);
        int panels = (width + w - 1) / w;
        float[] expected = new float[panels * w * length], actual = new float[panels * w * length];
        fixed (float* src = wide, e = expected) Gemm.PackPanels(src, strideW, strideL, width, length, w, e);
        fixed (ushort* src = bits)
        fixed (float* a = actual) Gemm.PackPanelsBf16(src, strideW, strideL, width, length, w, a);
        Assert.Equal(expected, actual);
    }

    public static TheoryData<GemmPath, int, int, int, bool> ProductCases()
    {
        var data = new TheoryData<GemmPath, int, int, int, bool>();
        foreach (var path in new[] { GemmPath.Scalar, GemmPath.Avx2, GemmPath.Avx512 })
            foreach (var (m, n, k) in new[] { (1, 37, 19), (5, 64, 300), (3, 100, 70), (97, 131, 70), (200, 33, 257) })
                foreach (bool transB in new[] { false, true })
                    data.Add(path, m, n, k, transB);
        return data;
    }

    [Theory]
    [MemberData(nameof(ProductCases))]
    public void MultiplyBf16_EqualsMultiplyOnTheWidenedMatrix(GemmPath path, int m, int n, int k, bool transB)
    {
        var rng = new Rng((ulong)(m * 7 + n * 3 + k));
        var a = Random(rng, m * k);
        var bits = new ushort[k * n];
        for (int i = 0; i < bits.Length; i++) bits[i] = Bf16.FromSingle((float)(rng.NextInt(2001) - 1000) / 313f);
        var wide = new float[k * n];
        Bf16.WidenReference(bits, wide);
        var c0 = Random(rng, m * n);
        float[] expected = (float[])c0.Clone(), actual = (float[])c0.Clone();
        Gemm.MultiplyOn(path, a, wide, expected, m, n, k, false, transB, accumulate: true, allowThreads: true, sharedFloats: 4096);
        Gemm.MultiplyBf16On(path, a, bits, actual, m, n, k, transB, accumulate: true, allowThreads: true, sharedFloats: 4096);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void LinearConv1DMatMulAndEmbedding_OnABf16Weight_EqualTheOpsOnItsWidening()
    {
        var rng = new Rng(5);
        var x = Tensor.FromArray(Random(rng, 7 * 9), 7, 9);
        var w = Tensor.Parameter(Random(rng, 11 * 9), [11, 9], "w");
        w.FreezeToBf16();
        Assert.True(w.IsBf16);
        Assert.False(w.RequiresGrad);
        var wide = Tensor.FromArray(w.ToArray(), 11, 9); // the rounded values in float32
        Assert.Equal(Ops.Linear(x, wide).ToArray(), Ops.Linear(x, w).ToArray());
        Assert.Equal(Ops.MatMul(x, wide, transB: true).ToArray(), Ops.MatMul(x, w, transB: true).ToArray());
        var v = Tensor.Parameter(Random(rng, 9 * 4), [9, 4], "v");
        var vWide = Tensor.FromArray([.. v.ToArray().Select(f => Bf16.ToSingle(Bf16.FromSingle(f)))], 9, 4);
        v.FreezeToBf16();
        Assert.Equal(Ops.Conv1D(x, vWide).ToArray(), Ops.Conv1D(x, v).ToArray());
        int[] ids = [3, 0, 10, 3];
        Assert.Equal(Ops.Embedding(wide, ids, 4).ToArray(), Ops.Embedding(w, ids, 4).ToArray());
    }

    [Fact]
    public void Linear_OnABf16Weight_StillGivesTheInputItsGradient()
    {
        var rng = new Rng(6);
        var x = Tensor.Parameter(Random(rng, 3 * 5), [3, 5], "x");
        var w = Tensor.Parameter(Random(rng, 4 * 5), [4, 5], "w");
        w.FreezeToBf16();
        Ops.Sum(Ops.Linear(x, w)).Backward();
        var expected = new float[15]; // d/dx Σ x·Wᵀ = column sums of W, for every row
        var wv = w.ToArray();
        for (int r = 0; r < 3; r++)
            for (int i = 0; i < 5; i++)
                for (int o = 0; o < 4; o++) expected[r * 5 + i] += wv[o * 5 + i];
        for (int i = 0; i < 15; i++) Assert.Equal(expected[i], x.Grad![i], 5);
    }

    private static float[] Random(Rng rng, int n)
    {
        var a = new float[n];
        rng.FillNormal(a, 0f, 1f);
        return a;
    }
}
