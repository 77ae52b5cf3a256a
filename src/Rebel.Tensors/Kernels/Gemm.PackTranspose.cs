// Vectorised packing of panels whose lines are contiguous (A not transposed, B transposed): each group of up to 16
// lines × 16 steps is loaded as zmm rows and transposed in registers (unpack, shuffle, two 128-bit lane shuffles)
// into 16 steps of up to 16 values; missing lines read as zero. Serves any panel width (14 for A, 32 for B, 6 and 16 on AVX2).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rebel.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Full panel of <paramref name="w"/> lines whose values are contiguous: dest (length, w) gets dest[l·w + i] = s[i·strideW + l].
    /// 16 steps at a time through 16×16 register transposes per group of 16 lines, the remaining steps one value at a time.
    /// Writes only inside dest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackLinesAvx512(float* s, long strideW, int length, int w, float* dest)
    {
        // s: (w, length) with row stride strideW; dest: (length, w)
        int l = 0;
        for (; l + 16 <= length; l += 16)
        {
            for (int g = 0; g < w; g += 16)
            {
                int lines = Math.Min(16, w - g);
                Transpose16(s + g * strideW + l, strideW, lines, dest + (long)l * w + g, w);
            }
        }
        for (; l < length; l++)
        {
            float* d = dest + (long)l * w;
            for (int i = 0; i < w; i++) d[i] = s[i * strideW + l];
        }
    }

    /// <summary>
    /// Transposes 16 steps of <paramref name="lines"/> (1..16) lines: d[c·ldd + i] = p[i·strideW + c] for c &lt; 16, i &lt; lines.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16(float* p, long strideW, int lines, float* d, int ldd)
    {
        // p: (lines, 16) with row stride strideW; d: (16, lines) with row stride ldd
        // stage 1: interleave pairs of lines within 128-bit lanes
        Vector512<float> r0 = Row(p, strideW, 0, lines), r1 = Row(p, strideW, 1, lines);
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1);
        r0 = Row(p, strideW, 2, lines); r1 = Row(p, strideW, 3, lines);
        Vector512<float> t2 = Avx512F.UnpackLow(r0, r1), t3 = Avx512F.UnpackHigh(r0, r1);
        r0 = Row(p, strideW, 4, lines); r1 = Row(p, strideW, 5, lines);
        Vector512<float> t4 = Avx512F.UnpackLow(r0, r1), t5 = Avx512F.UnpackHigh(r0, r1);
        r0 = Row(p, strideW, 6, lines); r1 = Row(p, strideW, 7, lines);
        Vector512<float> t6 = Avx512F.UnpackLow(r0, r1), t7 = Avx512F.UnpackHigh(r0, r1);
        r0 = Row(p, strideW, 8, lines); r1 = Row(p, strideW, 9, lines);
        Vector512<float> t8 = Avx512F.UnpackLow(r0, r1), t9 = Avx512F.UnpackHigh(r0, r1);
        r0 = Row(p, strideW, 10, lines); r1 = Row(p, strideW, 11, lines);
        Vector512<float> t10 = Avx512F.UnpackLow(r0, r1), t11 = Avx512F.UnpackHigh(r0, r1);
        r0 = Row(p, strideW, 12, lines); r1 = Row(p, strideW, 13, lines);
        Vector512<float> t12 = Avx512F.UnpackLow(r0, r1), t13 = Avx512F.UnpackHigh(r0, r1);
        r0 = Row(p, strideW, 14, lines); r1 = Row(p, strideW, 15, lines);
        Vector512<float> t14 = Avx512F.UnpackLow(r0, r1), t15 = Avx512F.UnpackHigh(r0, r1);
        // stage 2: u[4g + c] lane L = lines 4g..4g+3 of step 4L + c
        Vector512<float> u0 = Avx512F.Shuffle(t0, t2, 0x44), u1 = Avx512F.Shuffle(t0, t2, 0xEE);
        Vector512<float> u2 = Avx512F.Shuffle(t1, t3, 0x44), u3 = Avx512F.Shuffle(t1, t3, 0xEE);
        Vector512<float> u4 = Avx512F.Shuffle(t4, t6, 0x44), u5 = Avx512F.Shuffle(t4, t6, 0xEE);
        Vector512<float> u6 = Avx512F.Shuffle(t5, t7, 0x44), u7 = Avx512F.Shuffle(t5, t7, 0xEE);
        Vector512<float> u8 = Avx512F.Shuffle(t8, t10, 0x44), u9 = Avx512F.Shuffle(t8, t10, 0xEE);
        Vector512<float> u10 = Avx512F.Shuffle(t9, t11, 0x44), u11 = Avx512F.Shuffle(t9, t11, 0xEE);
        Vector512<float> u12 = Avx512F.Shuffle(t12, t14, 0x44), u13 = Avx512F.Shuffle(t12, t14, 0xEE);
        Vector512<float> u14 = Avx512F.Shuffle(t13, t15, 0x44), u15 = Avx512F.Shuffle(t13, t15, 0xEE);
        Vector512<float> mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lines)).AsSingle();
        StoreSteps(d, ldd, 0, u0, u4, u8, u12, mask);
        StoreSteps(d, ldd, 1, u1, u5, u9, u13, mask);
        StoreSteps(d, ldd, 2, u2, u6, u10, u14, mask);
        StoreSteps(d, ldd, 3, u3, u7, u11, u15, mask);
    }

    /// <summary>Line <paramref name="i"/> (16 values) of a transpose block, zero past <paramref name="lines"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row(float* p, long strideW, int i, int lines) =>
        i < lines ? Vector512.Load(p + i * strideW) : Vector512<float>.Zero;

    /// <summary>Stores steps c, 4 + c, 8 + c, 12 + c (values under <paramref name="mask"/>) from the stage-2 vectors of line groups 0..3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSteps(float* d, int ldd, int c, Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float> g3,
        Vector512<float> mask)
    {
        // d: (16, ldd) steps of one block; g0..g3: lane L = lines 4g..4g+3 of step 4L + c
        Vector512<float> a = Avx512F.Shuffle4x128(g0, g1, 0x88), b = Avx512F.Shuffle4x128(g0, g1, 0xDD);
        Vector512<float> e = Avx512F.Shuffle4x128(g2, g3, 0x88), f = Avx512F.Shuffle4x128(g2, g3, 0xDD);
        Avx512F.MaskStore(d + c * ldd, mask, Avx512F.Shuffle4x128(a, e, 0x88));
        Avx512F.MaskStore(d + (8 + c) * ldd, mask, Avx512F.Shuffle4x128(a, e, 0xDD));
        Avx512F.MaskStore(d + (4 + c) * ldd, mask, Avx512F.Shuffle4x128(b, f, 0x88));
        Avx512F.MaskStore(d + (12 + c) * ldd, mask, Avx512F.Shuffle4x128(b, f, 0xDD));
    }
}
