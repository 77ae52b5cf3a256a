// The few-row paths (decode steps against nn.Linear-layout weights, dot products; against Conv1D-layout weights, broadcasts):
// Vector512 and scalar forms against the reference at every depth 0..257 and every width 0..257, 8-row and 4-row blocks and
// their edges up to the 32-row limit, threaded equal to single-threaded.
using Rebel.Tensors.Kernels;

namespace Rebel.Tensors.Tests;

public partial class GemmTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public unsafe void FewRows_matches_reference_at_every_depth_and_width(bool vector)
    {
        var rng = new Random(31);
        foreach (var (m, n, k, accumulate) in Enumerable.Range(0, 258).Select(k => (5, 6, k, k % 2 == 1))
                     .Concat(Enumerable.Range(0, 258).Select(n => (4, n, 19, n % 3 == 0)))
                     .Concat([(1, 7, 33, false), (16, 9, 48, true), (3, 4, 17, false), (13, 10, 40, false), (32, 9, 35, true), (27, 6, 16, false)]))
        {
            float[] a = RandomArray(rng, m * k), b = RandomArray(rng, k * n), c = RandomArray(rng, m * n);
            float[] expected = (float[])c.Clone(), c0 = (float[])c.Clone();
            fixed (float* pa = a, pb = b, pc = c)
                Gemm.MultiplyFewRows(pa, pb, pc, m, n, k, accumulate, allowThreads: false, vector);
            Gemm.Reference(a, b, expected, m, n, k, transA: false, transB: true, accumulate);
            AssertClose(expected, c, Magnitude(a, b, accumulate ? c0 : null, m, n, k, false, true), k,
                $"vector={vector} m={m} n={n} k={k} accumulate={accumulate}");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public unsafe void FewRowsDirect_matches_reference_at_every_depth_and_width(bool vector)
    {
        var rng = new Random(33);
        foreach (var (m, n, k, accumulate) in Enumerable.Range(0, 258).Select(k => (5, 70, k, k % 2 == 1))
                     .Concat(Enumerable.Range(0, 258).Select(n => (4, n, 19, n % 3 == 0)))
                     .Concat([(1, 7, 33, false), (16, 96, 48, true), (3, 32, 17, false), (9, 257, 3, true), (8, 64, 21, false), (13, 96, 40, true), (32, 70, 35, false), (29, 33, 9, true)]))
        {
            float[] a = RandomArray(rng, m * k), b = RandomArray(rng, k * n), c = RandomArray(rng, m * n);
            float[] expected = (float[])c.Clone(), c0 = (float[])c.Clone();
            fixed (float* pa = a, pb = b, pc = c)
                Gemm.MultiplyFewRowsDirect(pa, pb, pc, m, n, k, accumulate, allowThreads: false, vector);
            Gemm.Reference(a, b, expected, m, n, k, transA: false, transB: false, accumulate);
            AssertClose(expected, c, Magnitude(a, b, accumulate ? c0 : null, m, n, k, false, false), k,
                $"vector={vector} m={m} n={n} k={k} accumulate={accumulate}");
        }
    }

    [Theory]
    [InlineData(1, 50257, 64)]
    [InlineData(16, 901, 300)]
    [InlineData(7, 1003, 257)]
    [InlineData(32, 2000, 100)]
    [InlineData(21, 517, 64)]
    public void FewRows_through_Multiply_threaded_equals_single_thread_and_reference(int m, int n, int k)
    {
        var rng = new Random(32);
        foreach (bool transB in new[] { true, false })
        {
            float[] a = RandomArray(rng, m * k), b = RandomArray(rng, k * n);
            float[] threaded = new float[m * n], single = new float[m * n], expected = new float[m * n];
            Gemm.MultiplyOn(GemmPath.Avx512, a, b, threaded, m, n, k, false, transB, false, allowThreads: true);
            Gemm.MultiplyOn(GemmPath.Avx512, a, b, single, m, n, k, false, transB, false, allowThreads: false);
            Assert.Equal(single, threaded);
            Gemm.Reference(a, b, expected, m, n, k, false, transB, false);
            AssertClose(expected, threaded, Magnitude(a, b, null, m, n, k, false, transB), k, $"m={m} n={n} k={k} transB={transB}");
        }
    }
}
