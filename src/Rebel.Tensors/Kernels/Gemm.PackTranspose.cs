// Vectorised packing of a non-transposed A block for the 14×32 AVX-512 kernel: 14 rows × 16 steps are loaded
// as zmm vectors and transposed in registers (unpack, shuffle, two 128-bit lane shuffles) into 16 steps of 14 values.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rebel.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Full 14-line panel whose lines are contiguous (A not transposed): 16 steps at a time through a 16×16 register
    /// transpose (lines 14 and 15 zero), the remaining steps one value at a time. Writes only inside dest (length, 14).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackLines14Avx512(float* s, long strideW, int length, float* dest)
    {
        // s: (14, length) with row stride strideW; dest: (length, 14)
        Vector512<float> z = Vector512<float>.Zero;
        Vector512<float> first14 = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(14)).AsSingle();
        int l = 0;
        for (; l + 16 <= length; l += 16)
        {
            float* p = s + l;
            // stage 1: interleave pairs of lines within 128-bit lanes
            Vector512<float> r0 = Vector512.Load(p), r1 = Vector512.Load(p + strideW);
            Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1);
            r0 = Vector512.Load(p + 2 * strideW); r1 = Vector512.Load(p + 3 * strideW);
            Vector512<float> t2 = Avx512F.UnpackLow(r0, r1), t3 = Avx512F.UnpackHigh(r0, r1);
            r0 = Vector512.Load(p + 4 * strideW); r1 = Vector512.Load(p + 5 * strideW);
            Vector512<float> t4 = Avx512F.UnpackLow(r0, r1), t5 = Avx512F.UnpackHigh(r0, r1);
            r0 = Vector512.Load(p + 6 * strideW); r1 = Vector512.Load(p + 7 * strideW);
            Vector512<float> t6 = Avx512F.UnpackLow(r0, r1), t7 = Avx512F.UnpackHigh(r0, r1);
            r0 = Vector512.Load(p + 8 * strideW); r1 = Vector512.Load(p + 9 * strideW);
            Vector512<float> t8 = Avx512F.UnpackLow(r0, r1), t9 = Avx512F.UnpackHigh(r0, r1);
            r0 = Vector512.Load(p + 10 * strideW); r1 = Vector512.Load(p + 11 * strideW);
            Vector512<float> t10 = Avx512F.UnpackLow(r0, r1), t11 = Avx512F.UnpackHigh(r0, r1);
            r0 = Vector512.Load(p + 12 * strideW); r1 = Vector512.Load(p + 13 * strideW);
            Vector512<float> t12 = Avx512F.UnpackLow(r0, r1), t13 = Avx512F.UnpackHigh(r0, r1);
            // stage 2: u[4g + c] lane L = lines 4g..4g+3 of step 4L + c
            Vector512<float> u0 = Avx512F.Shuffle(t0, t2, 0x44), u1 = Avx512F.Shuffle(t0, t2, 0xEE);
            Vector512<float> u2 = Avx512F.Shuffle(t1, t3, 0x44), u3 = Avx512F.Shuffle(t1, t3, 0xEE);
            Vector512<float> u4 = Avx512F.Shuffle(t4, t6, 0x44), u5 = Avx512F.Shuffle(t4, t6, 0xEE);
            Vector512<float> u6 = Avx512F.Shuffle(t5, t7, 0x44), u7 = Avx512F.Shuffle(t5, t7, 0xEE);
            Vector512<float> u8 = Avx512F.Shuffle(t8, t10, 0x44), u9 = Avx512F.Shuffle(t8, t10, 0xEE);
            Vector512<float> u10 = Avx512F.Shuffle(t9, t11, 0x44), u11 = Avx512F.Shuffle(t9, t11, 0xEE);
            Vector512<float> u12 = Avx512F.Shuffle(t12, z, 0x44), u13 = Avx512F.Shuffle(t12, z, 0xEE);
            Vector512<float> u14 = Avx512F.Shuffle(t13, z, 0x44), u15 = Avx512F.Shuffle(t13, z, 0xEE);
            float* d = dest + (long)l * 14;
            StoreSteps(d, 0, u0, u4, u8, u12, first14);
            StoreSteps(d, 1, u1, u5, u9, u13, first14);
            StoreSteps(d, 2, u2, u6, u10, u14, first14);
            StoreSteps(d, 3, u3, u7, u11, u15, first14);
        }
        for (; l < length; l++)
        {
            float* d = dest + (long)l * 14;
            for (int i = 0; i < 14; i++) d[i] = s[i * strideW + l];
        }
    }

    /// <summary>Stores steps c, 4 + c, 8 + c, 12 + c (14 values each, under <paramref name="mask"/>) from the stage-2 vectors of line groups 0..3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSteps(float* d, int c, Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float> g3,
        Vector512<float> mask)
    {
        // d: (16, 14) steps of one block; g0..g3: lane L = lines 4g..4g+3 of step 4L + c
        Vector512<float> a = Avx512F.Shuffle4x128(g0, g1, 0x88), b = Avx512F.Shuffle4x128(g0, g1, 0xDD);
        Vector512<float> e = Avx512F.Shuffle4x128(g2, g3, 0x88), f = Avx512F.Shuffle4x128(g2, g3, 0xDD);
        Avx512F.MaskStore(d + c * 14, mask, Avx512F.Shuffle4x128(a, e, 0x88));
        Avx512F.MaskStore(d + (8 + c) * 14, mask, Avx512F.Shuffle4x128(a, e, 0xDD));
        Avx512F.MaskStore(d + (4 + c) * 14, mask, Avx512F.Shuffle4x128(b, f, 0x88));
        Avx512F.MaskStore(d + (12 + c) * 14, mask, Avx512F.Shuffle4x128(b, f, 0xDD));
    }
}
