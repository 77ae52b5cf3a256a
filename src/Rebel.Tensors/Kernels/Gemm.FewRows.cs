// Few-row products against a transposed B (decode steps: (B, C) · Wᵀ with W (N, C) as nn.Linear and the tied vocabulary head
// store it): each output is a dot product of a row of A and a row of W, so W streams once from memory in its own layout,
// with no transposing pack and no 14-row tile padded from a handful of rows. A 4×4 block of outputs keeps 16 accumulators;
// while the row groups of A take turns on one block of 4 rows of W, each prefetches one row of the next block (the hardware
// prefetcher alone keeps a core to about 7 GB/s on these four interleaved streams).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rebel.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>Products with at most this many rows of A (and B transposed) take the dot-product path on AVX-512.</summary>
    internal const int FewRows = 32;

    /// <summary>
    /// C (m×n) = A (m×k, row-major) · Wᵀ (W n×k, row-major) (+ C), on the dot-product path: Vector512 when
    /// <paramref name="vector"/>, else <see cref="DotScalar"/>. Large products split W's rows over threads.
    /// </summary>
    internal static void MultiplyFewRows(float* a, float* w, float* c, int m, int n, int k, bool accumulate, bool allowThreads, bool vector)
    {
        // a: (m, k); w: (n, k); c: (m, n)
        int blocks = (n + 3) / 4;
        int threads = allowThreads && (long)m * n * k >= ParallelThreshold ? MaxThreads : 1;
        // chunks of W's rows taken from a shared counter (as the packed path's), so a core slowed by another process takes fewer;
        // at most FewRowsChunkMacs each, so the last chunk of a vocabulary head does not leave the other thread idle for milliseconds
        int chunk = FewRowsChunk(blocks, threads, 4L * m * k);
        int chunks = (blocks + chunk - 1) / chunk, next = 0;
        ForEachPart(threads, threads, (_, _) =>
        {
            for (int q; (q = Interlocked.Increment(ref next) - 1) < chunks;)
                FewRowsChunk(a, w, c, m, n, k, 4 * q * chunk, Math.Min(n, 4 * (q + 1) * chunk), accumulate, vector);
        });
    }

    /// <summary>Multiply-adds in one chunk of a few-row product at most (about 0.1 ms on one core).</summary>
    private const long FewRowsChunkMacs = 1 << 24;

    // Blocks per chunk of a few-row product: ChunksPerThread chunks per thread, or fewer blocks when those would be large.
    private static int FewRowsChunk(int blocks, int threads, long macsPerBlock) =>
        (int)Math.Max(1, Math.Min((blocks + ChunksPerThread * threads - 1) / (ChunksPerThread * threads), FewRowsChunkMacs / Math.Max(1, macsPerBlock)));

    // Columns [j0, j1) of C: 4×4 blocks of dot products, edges one dot product at a time.
    private static void FewRowsChunk(float* a, float* w, float* c, int m, int n, int k, int j0, int j1, bool accumulate, bool vector)
    {
        for (int j = j0; j < j1; j += 4)
        {
            int jn = Math.Min(4, j1 - j);
            for (int i = 0; i < m; i += 4)
            {
                int im = Math.Min(4, m - i);
                if (vector && im == 4 && jn == 4)
                    Dot4x4(a + (long)i * k, w + (long)j * k, c + (long)i * n + j, n, k, accumulate, w + (long)(j + 4 + i / 4 % 4) * k);
                else
                {
                    for (int ii = 0; ii < im; ii++)
                    {
                        for (int jj = 0; jj < jn; jj++)
                        {
                            float* ci = c + (long)(i + ii) * n + j + jj;
                            float* ai = a + (long)(i + ii) * k, wj = w + (long)(j + jj) * k;
                            float dot = vector ? Dot(ai, wj, k) : DotScalar(ai, wj, k);
                            *ci = accumulate ? *ci + dot : dot;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Scalar reference of the dot-product path: Σ_p x[p]·y[p] in order.</summary>
    internal static float DotScalar(float* x, float* y, int k)
    {
        float sum = 0;
        for (int p = 0; p < k; p++) sum += x[p] * y[p];
        return sum;
    }

    /// <summary>Σ_p x[p]·y[p] with one Vector512 accumulator and a scalar tail.</summary>
    private static float Dot(float* x, float* y, int k)
    {
        var acc = Vector512<float>.Zero;
        int p = 0;
        for (; p + 16 <= k; p += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(y + p), acc);
        float sum = Vector512.Sum(acc);
        for (; p < k; p++) sum += x[p] * y[p];
        return sum;
    }

    /// <summary>
    /// C (4×4, row stride ldc) (+)= 4 rows of A (stride k) · 4 rows of W (stride k)ᵀ: 16 Vector512 accumulators over k, one
    /// cache line of the k floats at <paramref name="prefetch"/> fetched per step (it may point past W: prefetching never faults).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4x4(float* a, float* w, float* c, int ldc, int k, bool accumulate, float* prefetch)
    {
        // a: (4, k); w: (4, k); c: (4, 4) with row stride ldc
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        float* a1 = a + k, a2 = a + 2 * k, a3 = a + 3 * k, w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        int p = 0;
        for (; p + 16 <= k; p += 16)
        {
            Sse.Prefetch0(prefetch + p);
            var v0 = Vector512.Load(w + p); var v1 = Vector512.Load(w1 + p); var v2 = Vector512.Load(w2 + p); var v3 = Vector512.Load(w3 + p);
            var x = Vector512.Load(a + p);
            c00 = Vector512.FusedMultiplyAdd(x, v0, c00); c01 = Vector512.FusedMultiplyAdd(x, v1, c01); c02 = Vector512.FusedMultiplyAdd(x, v2, c02); c03 = Vector512.FusedMultiplyAdd(x, v3, c03);
            x = Vector512.Load(a1 + p);
            c10 = Vector512.FusedMultiplyAdd(x, v0, c10); c11 = Vector512.FusedMultiplyAdd(x, v1, c11); c12 = Vector512.FusedMultiplyAdd(x, v2, c12); c13 = Vector512.FusedMultiplyAdd(x, v3, c13);
            x = Vector512.Load(a2 + p);
            c20 = Vector512.FusedMultiplyAdd(x, v0, c20); c21 = Vector512.FusedMultiplyAdd(x, v1, c21); c22 = Vector512.FusedMultiplyAdd(x, v2, c22); c23 = Vector512.FusedMultiplyAdd(x, v3, c23);
            x = Vector512.Load(a3 + p);
            c30 = Vector512.FusedMultiplyAdd(x, v0, c30); c31 = Vector512.FusedMultiplyAdd(x, v1, c31); c32 = Vector512.FusedMultiplyAdd(x, v2, c32); c33 = Vector512.FusedMultiplyAdd(x, v3, c33);
        }
        // every accumulator is reduced before the first call: one live across a call is spilled inside the loop by the JIT
        var r0 = Sums(c00, c01, c02, c03);
        var r1 = Sums(c10, c11, c12, c13);
        var r2 = Sums(c20, c21, c22, c23);
        var r3 = Sums(c30, c31, c32, c33);
        StoreRow(c, r0, a, w, p, k, accumulate);
        StoreRow(c + ldc, r1, a1, w, p, k, accumulate);
        StoreRow(c + 2 * ldc, r2, a2, w, p, k, accumulate);
        StoreRow(c + 3 * ldc, r3, a3, w, p, k, accumulate);
    }

    /// <summary>The lane sums of four vectors, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Sums(Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3)
    {
        Vector256<float> y0 = x0.GetLower() + x0.GetUpper(), y1 = x1.GetLower() + x1.GetUpper();
        Vector256<float> y2 = x2.GetLower() + x2.GetUpper(), y3 = x3.GetLower() + x3.GetUpper();
        Vector128<float> z0 = y0.GetLower() + y0.GetUpper(), z1 = y1.GetLower() + y1.GetUpper();
        Vector128<float> z2 = y2.GetLower() + y2.GetUpper(), z3 = y3.GetLower() + y3.GetUpper();
        return Sse3.HorizontalAdd(Sse3.HorizontalAdd(z0, z1), Sse3.HorizontalAdd(z2, z3));
    }

    // One row of a 4×4 block: the vector sums plus the scalar tail [p, k) of each dot product, written to (or added to) c[0..4).
    private static void StoreRow(float* c, Vector128<float> sums, float* x, float* w, int p, int k, bool accumulate)
    {
        float s0 = sums.GetElement(0), s1 = sums.GetElement(1), s2 = sums.GetElement(2), s3 = sums.GetElement(3);
        for (int q = p; q < k; q++)
        {
            float xq = x[q];
            s0 += xq * w[q]; s1 += xq * w[k + q]; s2 += xq * w[2 * k + q]; s3 += xq * w[3 * k + q];
        }
        if (accumulate) { c[0] += s0; c[1] += s1; c[2] += s2; c[3] += s3; }
        else { c[0] = s0; c[1] = s1; c[2] = s2; c[3] = s3; }
    }
}
