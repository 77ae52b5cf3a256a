// Single-precision matrix multiply: C (M×N) = op(A) (M×K) · op(B) (K×N), optionally accumulating into C.
// Operands are dense row-major; op(X) is X or Xᵀ. The scalar reference here is the ground truth for the fast paths.
namespace Rebel.Tensors.Kernels;

/// <summary>Matrix multiply entry point and its scalar reference.</summary>
public static unsafe partial class Gemm
{
    /// <summary>
    /// C = op(A)·op(B) (+ C when <paramref name="accumulate"/>). A is M×K (K×M when <paramref name="transA"/>),
    /// B is K×N (N×K when <paramref name="transB"/>), C is M×N, all dense row-major.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k, bool transA = false, bool transB = false, bool accumulate = false)
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        MultiplyOn(ActivePath, a, b, c, m, n, k, transA, transB, accumulate, allowThreads: true);
    }

    /// <summary>Multiply on an explicit path (tests compare every path with <see cref="Reference"/>).</summary>
    internal static void MultiplyOn(GemmPath path, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k, bool transA, bool transB, bool accumulate, bool allowThreads)
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            // A (m, k) or (k, m) when transA; B (k, n) or (n, k) when transB; C (m, n)
            var av = transA ? new View(pa, 1, m) : new View(pa, k, 1);
            var bv = transB ? new View(pb, 1, k) : new View(pb, n, 1);
            switch (Supported(path))
            {
                case GemmPath.Avx512: Run<Avx512Kernel14x32>(av, bv, pc, n, m, n, k, accumulate, allowThreads); break;
                case GemmPath.Avx2: Run<Avx2Kernel6x16>(av, bv, pc, n, m, n, k, accumulate, allowThreads); break;
                default: Run<ScalarKernel4x4>(av, bv, pc, n, m, n, k, accumulate, allowThreads); break;
            }
        }
    }

    /// <summary>
    /// <paramref name="batch"/> independent products, matrices packed back to back: A_i = a[i·M·K ..], B_i = b[i·K·N ..], C_i = c[i·M·N ..].
    /// </summary>
    public static void MultiplyBatched(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int batch, int m, int n, int k, bool transA = false, bool transB = false, bool accumulate = false)
        => MultiplyBatched(a, b, c, batch, m, n, k, m * k, k * n, m * n, transA, transB, accumulate);

    /// <summary>Scalar reference: the straightforward triple loop (double accumulator).</summary>
    public static void Reference(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k, bool transA, bool transB, bool accumulate)
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? c[i * n + j] : 0.0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * m + i] : a[i * k + p];
                    float bv = transB ? b[j * k + p] : b[p * n + j];
                    sum += (double)av * bv;
                }
                c[i * n + j] = (float)sum;
            }
        }
    }

    private static void CheckSizes(int aLength, int bLength, int cLength, int m, int n, int k)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"Gemm: negative size m={m} n={n} k={k}.");
        if (aLength < (long)m * k || bLength < (long)k * n || cLength < (long)m * n)
            throw new ArgumentException($"Gemm: buffers too small for m={m} n={n} k={k} (a={aLength}, b={bLength}, c={cLength}).");
    }
}
