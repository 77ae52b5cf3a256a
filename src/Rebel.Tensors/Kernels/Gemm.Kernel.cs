// The micro-kernel contract shared by all GEMM paths, the scalar micro-kernel, and the tile store helpers.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Rebel.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// A register-tiled micro-kernel: C (MR×NR) = A panel · B panel, or C += when <c>accumulate</c>.
    /// The A panel is (kc, MR): for each p the MR values A[0..MR, p]; the B panel is (kc, NR): for each p the row B[p, 0..NR].
    /// </summary>
    internal interface IGemmKernel
    {
        static abstract int MR { get; }
        static abstract int NR { get; }
        static abstract void Run(int kc, float* a, float* b, float* c, int ldc, bool accumulate);
    }

    /// <summary>Scalar micro-kernel (4×4 float accumulators); the portable fallback of the blocked driver.</summary>
    internal readonly struct ScalarKernel4x4 : IGemmKernel
    {
        public static int MR => 4;
        public static int NR => 4;

        public static void Run(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
        {
            // a: (kc, 4) packed, b: (kc, 4) packed, c: (4, 4) with row stride ldc
            float* acc = stackalloc float[16];
            for (int i = 0; i < 16; i++) acc[i] = 0f;
            for (int p = 0; p < kc; p++)
            {
                for (int r = 0; r < 4; r++)
                {
                    float ar = a[r];
                    acc[r * 4 + 0] += ar * b[0];
                    acc[r * 4 + 1] += ar * b[1];
                    acc[r * 4 + 2] += ar * b[2];
                    acc[r * 4 + 3] += ar * b[3];
                }
                a += 4;
                b += 4;
            }
            for (int r = 0; r < 4; r++)
            {
                for (int j = 0; j < 4; j++) c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r * 4 + j] : acc[r * 4 + j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(float* c, Vector512<float> v0, Vector512<float> v1, bool accumulate)
    {
        // c: one row of 32 floats
        if (accumulate)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + 16);
        }
        v0.Store(c);
        v1.Store(c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store3(float* c, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, bool accumulate)
    {
        // c: one row of 48 floats
        if (accumulate)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + 16);
            v2 += Vector512.Load(c + 32);
        }
        v0.Store(c);
        v1.Store(c + 16);
        v2.Store(c + 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(float* c, Vector256<float> v0, Vector256<float> v1, bool accumulate)
    {
        // c: one row of 16 floats
        if (accumulate)
        {
            v0 += Vector256.Load(c);
            v1 += Vector256.Load(c + 8);
        }
        v0.Store(c);
        v1.Store(c + 8);
    }
}
