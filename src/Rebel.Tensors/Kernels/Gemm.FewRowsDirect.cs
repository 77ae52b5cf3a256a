// Few-row products against an untransposed B (decode steps through GPT-2's Conv1D weights, W (K, N)): each row of W is read
// in place, its values broadcast-multiplied into 8 rows × 32 columns of C held in 16 Vector512 accumulators, with no packing
// copy and no 14-row tile padded from a handful of rows. The walk down a 32-column strip of W is strided (one row of W
// apart), which the hardware prefetcher follows late, so each step prefetches the strip 8 rows ahead.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rebel.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// C (m×n) = A (m×k, row-major) · W (k×n, row-major) (+ C) for few rows: Vector512 4×32 blocks when <paramref name="vector"/>,
    /// else <see cref="ColumnDotScalar"/> for every element. Large products split W's columns over threads.
    /// </summary>
    internal static void MultiplyFewRowsDirect(float* a, float* w, float* c, int m, int n, int k, bool accumulate, bool allowThreads, bool vector)
    {
        // a: (m, k); w: (k, n); c: (m, n)
        int blocks = (n + 31) / 32;
        int threads = allowThreads && (long)m * n * k >= ParallelThreshold ? MaxThreads : 1;
        int chunk = FewRowsChunk(blocks, threads, 32L * m * k);
        int chunks = (blocks + chunk - 1) / chunk, next = 0;
        ForEachPart(threads, threads, (_, _) =>
        {
            for (int q; (q = Interlocked.Increment(ref next) - 1) < chunks;)
                FewRowsDirectChunk(a, w, c, m, n, k, 32 * q * chunk, Math.Min(n, 32 * (q + 1) * chunk), accumulate, vector);
        });
    }

    // Columns [j0, j1) of C, one 32-column strip of W at a time, read in place (rows n apart).
    private static void FewRowsDirectChunk(float* a, float* w, float* c, int m, int n, int k, int j0, int j1, bool accumulate, bool vector)
    {
        for (int j = j0; j < j1; j += 32)
            BroadcastStrip(a, w + j, n, c + j, n, m, k, Math.Min(32, j1 - j), accumulate, vector);
    }

    // Columns [0, jn) of C (m rows ldc apart) from a strip of W (k rows ldw apart, jn ≤ 32 columns): a whole strip on the vector
    // path in 8×32 blocks, then 4×32, then single rows; otherwise one dot product per element in k order (ColumnDotScalar). The
    // in-place direct path (ldw = n) and the packed panels (ldw = 32) share it, so their results agree bit for bit.
    private static void BroadcastStrip(float* a, float* w, int ldw, float* c, int ldc, int m, int k, int jn, bool accumulate, bool vector)
    {
        int i = 0;
        if (vector && jn == 32)
        {
            for (; i + 8 <= m; i += 8) Broadcast8x32(a + (long)i * k, w, ldw, c + (long)i * ldc, ldc, k, accumulate);
            for (; i + 4 <= m; i += 4) Broadcast4x32(a + (long)i * k, w, ldw, c + (long)i * ldc, ldc, k, accumulate);
            for (; i < m; i++) Broadcast1x32(a + (long)i * k, w, ldw, c + (long)i * ldc, k, accumulate);
            return;
        }
        for (; i < m; i++)
            for (int jj = 0; jj < jn; jj++)
            {
                float* ci = c + (long)i * ldc + jj;
                float dot = ColumnDotScalar(a + (long)i * k, w + jj, ldw, k);
                *ci = accumulate ? *ci + dot : dot;
            }
    }

    /// <summary>Scalar reference of the direct path: Σ_p x[p]·w[p·ldw] in order.</summary>
    internal static float ColumnDotScalar(float* x, float* w, int ldw, int k)
    {
        float sum = 0;
        for (int p = 0; p < k; p++) sum += x[p] * w[(long)p * ldw];
        return sum;
    }

    /// <summary>C (8×32, row stride ldc) (+)= 8 rows of A (stride k) · W (k×32, row stride ldw): 16 Vector512 accumulators over k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Broadcast8x32(float* a, float* w, int ldw, float* c, int ldc, int k, bool accumulate)
    {
        // a: (8, k); w: (k, 32) with row stride ldw; c: (8, 32) with row stride ldc
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        float* a1 = a + k, a2 = a + 2 * k, a3 = a + 3 * k, a4 = a + 4 * k, a5 = a + 5 * k, a6 = a + 6 * k, a7 = a + 7 * k;
        long ahead = 8L * ldw; // prefetching never faults, so the last rows may point past W
        for (int p = 0; p < k; p++, w += ldw)
        {
            Sse.Prefetch0(w + ahead); Sse.Prefetch0(w + ahead + 16);
            var b0 = Vector512.Load(w); var b1 = Vector512.Load(w + 16);
            var x = Vector512.Create(a[p]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[p]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[p]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[p]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[p]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[p]); c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[p]); c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a7[p]); c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
        }
        Store2(c, c00, c01, accumulate);
        Store2(c + ldc, c10, c11, accumulate);
        Store2(c + 2 * ldc, c20, c21, accumulate);
        Store2(c + 3 * ldc, c30, c31, accumulate);
        Store2(c + 4 * ldc, c40, c41, accumulate);
        Store2(c + 5 * ldc, c50, c51, accumulate);
        Store2(c + 6 * ldc, c60, c61, accumulate);
        Store2(c + 7 * ldc, c70, c71, accumulate);
    }

    /// <summary>C (4×32, row stride ldc) (+)= 4 rows of A (stride k) · W (k×32, row stride ldw): 8 Vector512 accumulators over k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Broadcast4x32(float* a, float* w, int ldw, float* c, int ldc, int k, bool accumulate)
    {
        // a: (4, k); w: (k, 32) with row stride ldw; c: (4, 32) with row stride ldc
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        float* a1 = a + k, a2 = a + 2 * k, a3 = a + 3 * k;
        for (int p = 0; p < k; p++, w += ldw)
        {
            var b0 = Vector512.Load(w); var b1 = Vector512.Load(w + 16);
            var x = Vector512.Create(a[p]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[p]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[p]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[p]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
        }
        Store2(c, c00, c01, accumulate);
        Store2(c + ldc, c10, c11, accumulate);
        Store2(c + 2 * ldc, c20, c21, accumulate);
        Store2(c + 3 * ldc, c30, c31, accumulate);
    }

    /// <summary>One row of C (32 columns) (+)= a row of A · W (k×32, row stride ldw): the row edge of <see cref="Broadcast4x32"/>.</summary>
    private static void Broadcast1x32(float* a, float* w, int ldw, float* c, int k, bool accumulate)
    {
        Vector512<float> c0 = default, c1 = default;
        for (int p = 0; p < k; p++, w += ldw)
        {
            var x = Vector512.Create(a[p]);
            c0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(w), c0);
            c1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(w + 16), c1);
        }
        Store2(c, c0, c1, accumulate);
    }
}
