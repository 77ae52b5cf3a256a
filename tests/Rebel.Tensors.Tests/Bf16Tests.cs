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
