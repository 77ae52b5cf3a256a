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

    /// <summary>
    /// Multiply on an explicit path (tests compare every path with <see cref="Reference"/>); <paramref name="sharedFloats"/>
    /// caps the operand packed once for all threads (tests shrink it to force several rounds).
    /// </summary>
    internal static void MultiplyOn(GemmPath path, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k, bool transA, bool transB, bool accumulate, bool allowThreads, long sharedFloats = SharedFloats)
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            // A (m, k) or (k, m) when transA; B (k, n) or (n, k) when transB; C (m, n)
            if (!transA && m <= FewRows && Supported(path) == GemmPath.Avx512)
            {
                if (transB) MultiplyFewRows(pa, pb, pc, m, n, k, accumulate, allowThreads, vector: true);
                else MultiplyFewRowsDirect(pa, pb, pc, m, n, k, accumulate, allowThreads, vector: true);
                return;
            }
            var av = transA ? new View(pa, 1, m) : new View(pa, k, 1);
            var bv = transB ? new View(pb, 1, k) : new View(pb, n, 1);
            switch (Supported(path))
            {
                case GemmPath.Avx512: Run<Avx512Kernel14x32>(av, bv, pc, n, m, n, k, accumulate, allowThreads, sharedFloats); break;
                case GemmPath.Avx2: Run<Avx2Kernel6x16>(av, bv, pc, n, m, n, k, accumulate, allowThreads, sharedFloats); break;
                default: Run<ScalarKernel4x4>(av, bv, pc, n, m, n, k, accumulate, allowThreads, sharedFloats); break;
            }
        }
    }

    /// <summary>
    /// Strided form of <see cref="Multiply"/>: C (M×N, rows <paramref name="ldc"/> apart) = op(A)·op(B) (+ C), where A is stored
    /// M×K (K×M when <paramref name="transA"/>) with rows <paramref name="lda"/> apart and B is stored K×N (N×K when
    /// <paramref name="transB"/>) with rows <paramref name="ldb"/> apart. Reads one head's columns of a (T, H·D) matrix in place.
    /// <paramref name="allowThreads"/> false keeps the product on the calling thread (for callers that are already parallel).
    /// </summary>
    public static void MultiplyStrided(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k, bool transA = false, bool transB = false, bool accumulate = false, bool allowThreads = true)
    {
        int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
        CheckStrided("A", a.Length, aRows, aCols, lda);
        CheckStrided("B", b.Length, bRows, bCols, ldb);
        CheckStrided("C", c.Length, m, n, ldc);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            // A (m, k) view, B (k, n) view, C (m, n) with row stride ldc
            var av = transA ? new View(pa, 1, lda) : new View(pa, lda, 1);
            var bv = transB ? new View(pb, 1, ldb) : new View(pb, ldb, 1);
            switch (Supported(ActivePath))
            {
                case GemmPath.Avx512: Run<Avx512Kernel14x32>(av, bv, pc, ldc, m, n, k, accumulate, allowThreads); break;
                case GemmPath.Avx2: Run<Avx2Kernel6x16>(av, bv, pc, ldc, m, n, k, accumulate, allowThreads); break;
                default: Run<ScalarKernel4x4>(av, bv, pc, ldc, m, n, k, accumulate, allowThreads); break;
            }
        }
    }

    private static void CheckStrided(string name, int length, int rows, int cols, int ld)
    {
        if (rows < 0 || cols < 0 || ld < 0 || rows > 1 && ld < cols)
            throw new ArgumentException($"Gemm: {name} of {rows}×{cols} cannot have row stride {ld}.");
        if (rows > 0 && cols > 0 && length < (long)(rows - 1) * ld + cols)
            throw new ArgumentException($"Gemm: {name} buffer of {length} is too small for {rows}×{cols} with row stride {ld}.");
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
