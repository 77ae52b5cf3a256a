// The decode attention kernels (AttentionKernels.Scores and WeightedSum), every vector path, against their scalar
// references summed in double: head widths that take the vector paths and ones that fall back, strided rows, empty runs.
using Rebel.Tensors.Kernels;

namespace Rebel.Tensors.Tests;

public class AttentionKernelTests
{
    public static TheoryData<int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int bits in new[] { 512, 256, 0 })
            foreach (int d in new[] { 8, 16, 48, 64, 80, 128, 256, 7 })
                data.Add(bits, d, 3 * d + 5);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ScoresAndWeightedSum_EqualTheScalarReferences(int maxBits, int d, int stride)
    {
        var rng = new Rng((ulong)(maxBits + 7 * d));
        const int keys = 37;
        var q = new float[d]; var rows = new float[(keys - 1) * stride + d];
        rng.FillNormal(q); rng.FillNormal(rows);
        foreach (var (first, last) in new[] { (0, keys - 1), (5, 20), (9, 9), (12, 11) })
        {
            float[] expected = new float[keys], actual = new float[keys];
            AttentionKernels.ScoresReference(q, rows, stride, first, last, expected);
            AttentionKernels.Scores(q, rows, stride, first, last, actual, maxBits);
            for (int s = 0; s < keys; s++)
                Assert.True(MathF.Abs(expected[s] - actual[s]) <= 1e-5f * (1 + MathF.Abs(expected[s])) * d, $"score {s} ({first}..{last}): {expected[s]} vs {actual[s]}");

            var p = new float[keys];
            rng.FillUniform(p);
            float[] y = new float[d], reference = new float[d];
            Array.Fill(y, float.NaN); // overwritten, never read
            AttentionKernels.WeightedSumReference(p, rows, stride, first, last, reference);
            AttentionKernels.WeightedSum(p, rows, stride, first, last, y, maxBits);
            for (int i = 0; i < d; i++)
                Assert.True(MathF.Abs(reference[i] - y[i]) <= 1e-5f * (1 + MathF.Abs(reference[i])) * keys, $"y[{i}] ({first}..{last}): {reference[i]} vs {y[i]}");
        }
    }

    [Fact]
    public void KeyBeyondTheRows_IsRefused()
    {
        var q = new float[16]; var rows = new float[3 * 16]; var scores = new float[4];
        Assert.Throws<ArgumentException>(() => AttentionKernels.Scores(q, rows, 16, 0, 3, scores));
    }
}
