// AVX-512 micro-kernel: 14 rows × 32 columns of C held in 28 zmm accumulators, A broadcast, packed B streamed.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rebel.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>AVX-512 micro-kernel: C (14×32) (+)= A panel (14×kc, packed column by column) · B panel (kc×32, packed row by row).</summary>
    internal readonly struct Avx512Kernel14x32 : IGemmKernel
    {
        public static int MR => 14;
        public static int NR => 32;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
        {
            // a: (kc, MR) packed, b: (kc, NR) packed, c: (MR, NR) with row stride ldc
            // the C tile (14 rows of 128 bytes, likely out of cache) is fetched while the k loop runs
            for (int i = 0; i < 14; i++)
            {
                Sse.Prefetch0(c + i * ldc);
                Sse.Prefetch0(c + i * ldc + 31);
            }
            Vector512<float> c0_0 = default, c0_1 = default;
            Vector512<float> c1_0 = default, c1_1 = default;
            Vector512<float> c2_0 = default, c2_1 = default;
            Vector512<float> c3_0 = default, c3_1 = default;
            Vector512<float> c4_0 = default, c4_1 = default;
            Vector512<float> c5_0 = default, c5_1 = default;
            Vector512<float> c6_0 = default, c6_1 = default;
            Vector512<float> c7_0 = default, c7_1 = default;
            Vector512<float> c8_0 = default, c8_1 = default;
            Vector512<float> c9_0 = default, c9_1 = default;
            Vector512<float> c10_0 = default, c10_1 = default;
            Vector512<float> c11_0 = default, c11_1 = default;
            Vector512<float> c12_0 = default, c12_1 = default;
            Vector512<float> c13_0 = default, c13_1 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector512<float> b0 = Vector512.Load(b + 0); Vector512<float> b1 = Vector512.Load(b + 16);
                Vector512<float> a0 = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(a0, b1, c0_1);
                Vector512<float> a1 = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1);
                Vector512<float> a2 = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(a2, b1, c2_1);
                Vector512<float> a3 = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(a3, b1, c3_1);
                Vector512<float> a4 = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(a4, b1, c4_1);
                Vector512<float> a5 = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(a5, b1, c5_1);
                Vector512<float> a6 = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(a6, b1, c6_1);
                Vector512<float> a7 = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(a7, b1, c7_1);
                Vector512<float> a8 = Vector512.Create(a[8]); c8_0 = Vector512.FusedMultiplyAdd(a8, b0, c8_0); c8_1 = Vector512.FusedMultiplyAdd(a8, b1, c8_1);
                Vector512<float> a9 = Vector512.Create(a[9]); c9_0 = Vector512.FusedMultiplyAdd(a9, b0, c9_0); c9_1 = Vector512.FusedMultiplyAdd(a9, b1, c9_1);
                Vector512<float> a10 = Vector512.Create(a[10]); c10_0 = Vector512.FusedMultiplyAdd(a10, b0, c10_0); c10_1 = Vector512.FusedMultiplyAdd(a10, b1, c10_1);
                Vector512<float> a11 = Vector512.Create(a[11]); c11_0 = Vector512.FusedMultiplyAdd(a11, b0, c11_0); c11_1 = Vector512.FusedMultiplyAdd(a11, b1, c11_1);
                Vector512<float> a12 = Vector512.Create(a[12]); c12_0 = Vector512.FusedMultiplyAdd(a12, b0, c12_0); c12_1 = Vector512.FusedMultiplyAdd(a12, b1, c12_1);
                Vector512<float> a13 = Vector512.Create(a[13]); c13_0 = Vector512.FusedMultiplyAdd(a13, b0, c13_0); c13_1 = Vector512.FusedMultiplyAdd(a13, b1, c13_1);
                a += 14;
                b += 32;
            }
            Store2(c + 0 * ldc, c0_0, c0_1, accumulate);
            Store2(c + 1 * ldc, c1_0, c1_1, accumulate);
            Store2(c + 2 * ldc, c2_0, c2_1, accumulate);
            Store2(c + 3 * ldc, c3_0, c3_1, accumulate);
            Store2(c + 4 * ldc, c4_0, c4_1, accumulate);
            Store2(c + 5 * ldc, c5_0, c5_1, accumulate);
            Store2(c + 6 * ldc, c6_0, c6_1, accumulate);
            Store2(c + 7 * ldc, c7_0, c7_1, accumulate);
            Store2(c + 8 * ldc, c8_0, c8_1, accumulate);
            Store2(c + 9 * ldc, c9_0, c9_1, accumulate);
            Store2(c + 10 * ldc, c10_0, c10_1, accumulate);
            Store2(c + 11 * ldc, c11_0, c11_1, accumulate);
            Store2(c + 12 * ldc, c12_0, c12_1, accumulate);
            Store2(c + 13 * ldc, c13_0, c13_1, accumulate);
        }
    }
}
