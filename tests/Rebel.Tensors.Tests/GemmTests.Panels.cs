// The column-panel path (decode products against weights packed once per generation): Vector512 and scalar forms against the
// reference for both source layouts at odd depths, widths (partial last panels) and row counts up to the 32-row limit, and bit
// equality with the in-place Conv1D path, whose kernels and order of additions it shares.
using Rebel.Tensors.Kernels;

namespace Rebel.Tensors.Tests;

public partial class GemmTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ColumnPanels_match_reference_for_both_layouts(bool vector)
    {
        var rng = new Random(35);
        var cases = Enumerable.Range(0, 70).Select(k => (5, 45, k, k % 2 == 1))
            .Concat(Enumerable.Range(0, 100).Select(n => (9, n, 19, n % 3 == 0)))
            .Concat(Enumerable.Range(1, 32).Select(m => (m, 67, 23, m % 2 == 0)));
        foreach (var (m, n, k, accumulate) in cases)
            foreach (bool transB in new[] { false, true })
            {
                float[] a = RandomArray(rng, m * k), w = RandomArray(rng, k * n), c = RandomArray(rng, m * n);
                float[] expected = (float[])c.Clone(), c0 = (float[])c.Clone();
                Assert.Equal((n + 31) / 32 * k * 32, Gemm.ColumnPanelsLength(k, n));
                var panels = Pack(w, k, n, transB);
                Gemm.MultiplyColumnPanels(a, panels, c, m, n, k, accumulate, allowThreads: false, vector);
                Gemm.Reference(a, w, expected, m, n, k, transA: false, transB, accumulate);
                AssertClose(expected, c, Magnitude(a, w, accumulate ? c0 : null, m, n, k, false, transB), k,
                    $"vector={vector} transB={transB} m={m} n={n} k={k} accumulate={accumulate}");
            }
    }

    [Fact]
    public void Plain_pack_puts_element_p_j_in_row_p_of_panel_j_over_32_zero_padded()
    {
        var rng = new Random(38);
        foreach (var (k, n) in new[] { (1, 1), (8, 32), (9, 33), (17, 100), (40, 256), (3, 31) })
        {
            float[] w = RandomArray(rng, k * n), expected = new float[Gemm.ColumnPanelsLength(k, n)]; // w (k, n)
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++) expected[((long)(j / 32) * k + p) * 32 + j % 32] = w[p * n + j];
            var packed = new float[expected.Length];
            packed.AsSpan().Fill(float.NaN); // the padding must be written, not left over
            Gemm.PackColumnPanels(w, k, n, transB: false, packed);
            Assert.Equal(expected, packed);
        }
    }

    [Fact]
    public void Transposing_pack_equals_the_plain_pack_of_the_transposed_weight()
    {
        var rng = new Random(36);
        foreach (var (n, k) in new[] { (32, 8), (64, 17), (70, 40), (96, 3), (33, 9) })
        {
            float[] w = RandomArray(rng, n * k), wt = new float[k * n]; // w (n, k); wt (k, n)
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++) wt[p * n + j] = w[j * k + p];
            Assert.Equal(Pack(wt, k, n, transB: false), Pack(w, k, n, transB: true));
        }
    }

    [Theory]
    [InlineData(16, 2304, 768)]
    [InlineData(7, 101, 64)]
    [InlineData(32, 300, 129)]
    public void ColumnPanels_equal_the_in_place_Conv1D_path_bit_for_bit(int m, int n, int k)
    {
        if (Gemm.ActivePath != GemmPath.Avx512) return; // both paths are AVX-512 only; elsewhere the packed GEMM runs
        var rng = new Random(37);
        float[] a = RandomArray(rng, m * k), w = RandomArray(rng, k * n), direct = new float[m * n], packed = new float[m * n];
        Gemm.Multiply(a, w, direct, m, n, k);
        Gemm.MultiplyColumnPanels(a, Pack(w, k, n, transB: false), packed, m, n, k);
        Assert.Equal(direct, packed);
    }

    private static float[] Pack(float[] w, int k, int n, bool transB)
    {
        var panels = new float[Gemm.ColumnPanelsLength(k, n)];
        Gemm.PackColumnPanels(w, k, n, transB, panels);
        return panels;
    }
}
