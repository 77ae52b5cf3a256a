// Threading: large products are cut into one slab of C per core (rows or columns, whole register tiles),
// each slab running the single-threaded blocked driver; small products stay on the calling thread.
namespace Rebel.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>Below this many multiply-adds (m·n·k) one thread is faster than waking others.</summary>
    private const long ParallelThreshold = 96L * 96 * 96;

    /// <summary>Threads used for one large product.</summary>
    internal static int MaxThreads { get; set; } = Environment.ProcessorCount;

    /// <summary>C (m×n) = A · B (+ C) with micro-kernel TK, split over threads when large enough.</summary>
    internal static void Run<TK>(View a, View b, float* c, int ldc, int m, int n, int k, bool accumulate, bool allowThreads)
        where TK : struct, IGemmKernel
    {
        // a: (m, k) view, b: (k, n) view, c: (m, n)
        long work = (long)m * n * k;
        int threads = allowThreads && work >= ParallelThreshold ? MaxThreads : 1;
        int mTiles = (m + TK.MR - 1) / TK.MR, nTiles = (n + TK.NR - 1) / TK.NR;
        bool splitRows = mTiles * TK.MR >= nTiles * TK.NR;
        int tiles = splitRows ? mTiles : nTiles;
        threads = Math.Min(threads, tiles);
        if (threads <= 1)
        {
            RunBlocked<TK>(a, b, c, ldc, m, n, k, accumulate);
            return;
        }
        var job = new SlabJob(a, b, c, ldc, m, n, k, accumulate, splitRows, tiles, threads);
        Parallel.For(0, threads, t => job.RunSlab<TK>(t));
    }

    /// <summary>One product cut into equal slabs of whole tiles along M (splitRows) or N.</summary>
    private readonly struct SlabJob(View a, View b, float* c, int ldc, int m, int n, int k, bool accumulate,
        bool splitRows, int tiles, int slabs)
    {
        public void RunSlab<TK>(int slab) where TK : struct, IGemmKernel
        {
            int t0 = (int)((long)tiles * slab / slabs), t1 = (int)((long)tiles * (slab + 1) / slabs);
            if (splitRows)
            {
                int i0 = t0 * TK.MR, i1 = Math.Min(m, t1 * TK.MR);
                if (i1 <= i0) return;
                var sub = new View(a.At(i0, 0), a.RowStride, a.ColStride);
                RunBlocked<TK>(sub, b, c + (long)i0 * ldc, ldc, i1 - i0, n, k, accumulate);
            }
            else
            {
                int j0 = t0 * TK.NR, j1 = Math.Min(n, t1 * TK.NR);
                if (j1 <= j0) return;
                var sub = new View(b.At(0, j0), b.RowStride, b.ColStride);
                RunBlocked<TK>(a, sub, c + j0, ldc, m, j1 - j0, k, accumulate);
            }
        }
    }
}
