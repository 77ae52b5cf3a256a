// The cache-blocked loop nest around a micro-kernel (single thread): B blocks (KC×NC) and A blocks (MC×KC)
// are packed once and swept by MR×NR register tiles; edge tiles go through a small stack tile.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rebel.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>Depth of one packed block: a KC×NR B micro-panel stays in L1 while the MR×KC A panels stream.</summary>
    private const int KC = 256;
    /// <summary>Rows of A packed at once (rounded to MR): the MC×KC A block (112 KB) stays in L2 beside B's panels; measured faster than 256 at 512..2048.</summary>
    private const int MC = 112;
    /// <summary>Columns of B packed at once (rounded to NR).</summary>
    private const int NC = 4096;

    /// <summary>C (m×n, row stride ldc) = A (m×k) · B (k×n) (+ C), on the calling thread, with micro-kernel TK.</summary>
    internal static void RunBlocked<TK>(View a, View b, float* c, int ldc, int m, int n, int k, bool accumulate)
        where TK : struct, IGemmKernel
    {
        // a: (m, k) view, b: (k, n) view, c: (m, n)
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) ClearTile(c, ldc, m, n);
            return;
        }
        int mr = TK.MR, nr = TK.NR;
        int kc = Split(k, KC, 1);
        int mc = Split(m, MC, mr);
        int nc = Split(n, NC, nr);
        float* packA = PackABuffer.Get((long)RoundUp(mc, mr) * kc);
        float* packB = PackBBuffer.Get((long)RoundUp(nc, nr) * kc);
        float* edge = stackalloc float[mr * nr];

        for (int jc = 0; jc < n; jc += nc)
        {
            int ncb = Math.Min(nc, n - jc);
            for (int pc = 0; pc < k; pc += kc)
            {
                int kcb = Math.Min(kc, k - pc);
                bool acc = accumulate || pc > 0;
                // B block (kcb, ncb) → panels (ncb / NR, kcb, NR)
                PackB(b, pc, jc, ncb, kcb, nr, packB);
                for (int ic = 0; ic < m; ic += mc)
                {
                    int mcb = Math.Min(mc, m - ic);
                    // A block (mcb, kcb) → panels (mcb / MR, kcb, MR)
                    PackPanels(a.At(ic, pc), a.RowStride, a.ColStride, mcb, kcb, mr, packA);
                    SweepTiles<TK>(packA, mcb, packB, ncb, kcb, c + (long)ic * ldc + jc, ldc, acc, edge);
                }
            }
        }
    }

    /// <summary>
    /// C (rows×cols, row stride ldc) (+)= packed A panels (rows, kc) · packed B panels (kc, cols): each B micro-panel stays
    /// in L1 while the A panels stream past it; partial tiles go through <paramref name="edge"/> (MR×NR floats).
    /// </summary>
    private static void SweepTiles<TK>(float* packA, int rows, float* packB, int cols, int kc, float* c, int ldc, bool accumulate, float* edge)
        where TK : struct, IGemmKernel
    {
        // packA: (ceil(rows / MR), kc, MR); packB: (ceil(cols / NR), kc, NR); c: (rows, cols)
        int mr = TK.MR, nr = TK.NR;
        for (int jr = 0; jr < cols; jr += nr)
        {
            int ntile = Math.Min(nr, cols - jr);
            float* pb = packB + (long)jr * kc;
            for (int ir = 0; ir < rows; ir += mr)
            {
                int mtile = Math.Min(mr, rows - ir);
                float* pa = packA + (long)ir * kc;
                float* ct = c + (long)ir * ldc + jr;
                if (mtile == mr && ntile == nr)
                {
                    TK.Run(kc, pa, pb, ct, ldc, accumulate);
                }
                else
                {
                    TK.Run(kc, pa, pb, edge, nr, false);
                    MergeTile(edge, nr, ct, ldc, mtile, ntile, accumulate);
                }
            }
        }
    }

    /// <summary>Block size for a dimension of <paramref name="total"/>: at most about <paramref name="max"/>, equal-sized blocks, a multiple of <paramref name="unit"/>.</summary>
    private static int Split(int total, int max, int unit)
    {
        int blocks = (total + max - 1) / max;
        return RoundUp((total + blocks - 1) / blocks, unit);
    }

    private static int RoundUp(int value, int unit) => (value + unit - 1) / unit * unit;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MergeTile(float* tile, int ldt, float* c, int ldc, int rows, int cols, bool accumulate)
    {
        // tile: (rows, cols) row stride ldt → c: (rows, cols) row stride ldc
        if (Avx512F.IsSupported && cols <= 32)
        {
            // masked loads and stores touch only the tile's columns (no faults past the rows' ends)
            var low = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(cols)).AsSingle();
            var high = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(cols - 16)).AsSingle();
            for (int i = 0; i < rows; i++)
            {
                float* t = tile + (long)i * ldt, d = c + (long)i * ldc;
                var t0 = Avx512F.MaskLoad(t, low, Vector512<float>.Zero);
                var t1 = Avx512F.MaskLoad(t + 16, high, Vector512<float>.Zero);
                if (accumulate)
                {
                    t0 += Avx512F.MaskLoad(d, low, Vector512<float>.Zero);
                    t1 += Avx512F.MaskLoad(d + 16, high, Vector512<float>.Zero);
                }
                Avx512F.MaskStore(d, low, t0);
                Avx512F.MaskStore(d + 16, high, t1);
            }
            return;
        }
        for (int i = 0; i < rows; i++)
        {
            float* t = tile + (long)i * ldt;
            float* d = c + (long)i * ldc;
            if (accumulate) for (int j = 0; j < cols; j++) d[j] += t[j];
            else for (int j = 0; j < cols; j++) d[j] = t[j];
        }
    }

    private static void ClearTile(float* c, int ldc, int rows, int cols)
    {
        // c: (rows, cols) row stride ldc
        for (int i = 0; i < rows; i++) new Span<float>(c + (long)i * ldc, cols).Clear();
    }
}
