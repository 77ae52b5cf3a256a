// AVX2 micro-kernel: 6 rows × 16 columns of C held in 12 ymm accumulators, A broadcast, packed B streamed.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Rebel.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>AVX2 micro-kernel: C (6×16) (+)= A panel (6×kc, packed column by column) · B panel (kc×16, packed row by row).</summary>
    internal readonly struct Avx2Kernel6x16 : IGemmKernel
    {
        public static int MR => 6;
        public static int NR => 16;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
        {
            // a: (kc, MR) packed, b: (kc, NR) packed, c: (MR, NR) with row stride ldc
            Vector256<float> c0_0 = default, c0_1 = default;
            Vector256<float> c1_0 = default, c1_1 = default;
            Vector256<float> c2_0 = default, c2_1 = default;
            Vector256<float> c3_0 = default, c3_1 = default;
            Vector256<float> c4_0 = default, c4_1 = default;
            Vector256<float> c5_0 = default, c5_1 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector256<float> b0 = Vector256.Load(b + 0); Vector256<float> b1 = Vector256.Load(b + 8);
                Vector256<float> a0 = Vector256.Create(a[0]); c0_0 = Vector256.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector256.FusedMultiplyAdd(a0, b1, c0_1);
                Vector256<float> a1 = Vector256.Create(a[1]); c1_0 = Vector256.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Vector256.FusedMultiplyAdd(a1, b1, c1_1);
                Vector256<float> a2 = Vector256.Create(a[2]); c2_0 = Vector256.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Vector256.FusedMultiplyAdd(a2, b1, c2_1);
                Vector256<float> a3 = Vector256.Create(a[3]); c3_0 = Vector256.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Vector256.FusedMultiplyAdd(a3, b1, c3_1);
                Vector256<float> a4 = Vector256.Create(a[4]); c4_0 = Vector256.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Vector256.FusedMultiplyAdd(a4, b1, c4_1);
                Vector256<float> a5 = Vector256.Create(a[5]); c5_0 = Vector256.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Vector256.FusedMultiplyAdd(a5, b1, c5_1);
                a += 6;
                b += 16;
            }
            Store2(c + 0 * ldc, c0_0, c0_1, accumulate);
            Store2(c + 1 * ldc, c1_0, c1_1, accumulate);
            Store2(c + 2 * ldc, c2_0, c2_1, accumulate);
            Store2(c + 3 * ldc, c3_0, c3_1, accumulate);
            Store2(c + 4 * ldc, c4_0, c4_1, accumulate);
            Store2(c + 5 * ldc, c5_0, c5_1, accumulate);
        }
    }
}
