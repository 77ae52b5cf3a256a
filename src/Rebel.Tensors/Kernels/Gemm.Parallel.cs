// Threading: a large product packs its shared operand once (B when cut along rows, A when cut along columns; the packing
// itself split across threads), then threads take chunks of the other dimension from a shared counter until none is
// left. Chunks outnumber threads, so a core slowed by another process just takes fewer of them; small products stay
// on the calling thread. Each chunk is computed the same way whichever thread takes it, so results are deterministic.
namespace Rebel.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>Below this many multiply-adds (m·n·k) one thread is faster than waking others.</summary>
    private const long ParallelThreshold = 96L * 96 * 96;

    /// <summary>Most floats of the shared packed operand per round (4 MB); larger products take several rounds.</summary>
    private const long SharedFloats = 1L << 20;

    /// <summary>Chunks per thread the split aims for (more balance, less reuse per chunk).</summary>
    private const int ChunksPerThread = 4;

    /// <summary>Threads used for one large product.</summary>
    internal static int MaxThreads { get; set; } = Environment.ProcessorCount;

    [ThreadStatic] private static Workspace? t_shared;

    private static Workspace SharedBuffer => t_shared ??= new Workspace();

    /// <summary>
    /// C (m×n) = A · B (+ C) with micro-kernel TK, split over threads when large enough; the operand packed once for all
    /// threads takes rounds of at most <paramref name="sharedFloats"/> floats.
    /// </summary>
    internal static void Run<TK>(View a, View b, float* c, int ldc, int m, int n, int k, bool accumulate, bool allowThreads,
        long sharedFloats = SharedFloats)
        where TK : struct, IGemmKernel
    {
        // a: (m, k) view, b: (k, n) view, c: (m, n)
        long work = (long)m * n * k;
        int threads = allowThreads && work >= ParallelThreshold ? MaxThreads : 1;
        int mTiles = (m + TK.MR - 1) / TK.MR, nTiles = (n + TK.NR - 1) / TK.NR;
        if (threads <= 1 || k == 0 || mTiles * nTiles < 2)
        {
            RunBlocked<TK>(a, b, c, ldc, m, n, k, accumulate);
            return;
        }
        var job = new ChunkJob(a, b, c, ldc, k, accumulate, Split(k, KC, 1));
        if (mTiles * TK.MR >= nTiles * TK.NR)
        {
            int rows = Math.Clamp(RoundUp((m + ChunksPerThread * threads - 1) / (ChunksPerThread * threads), TK.MR), 2 * TK.MR, RoundUp(MC, TK.MR));
            int width = (int)Math.Max(TK.NR, sharedFloats / k / TK.NR * TK.NR);
            for (int jc = 0; jc < n; jc += width)
                job.RowRound<TK>(jc, Math.Min(width, n - jc), m, rows, threads);
        }
        else
        {
            int cols = Math.Clamp(RoundUp((n + ChunksPerThread * threads - 1) / (ChunksPerThread * threads), TK.NR), 2 * TK.NR, 8 * TK.NR);
            int height = (int)Math.Max(TK.MR, sharedFloats / k / TK.MR * TK.MR);
            for (int ic = 0; ic < m; ic += height)
                job.ColumnRound<TK>(ic, Math.Min(height, m - ic), n, cols, threads);
        }
    }

    /// <summary>One threaded product: the shared packed operand of the current round and the counter threads take chunks from.</summary>
    private sealed class ChunkJob(View a, View b, float* c, int ldc, int k, bool accumulate, int kc)
    {
        private float* _shared;
        private int _next;

        /// <summary>Columns [jc, jc + width) of C: B's block packed once, then chunks of <paramref name="rows"/> rows.</summary>
        public void RowRound<TK>(int jc, int width, int m, int rows, int threads) where TK : struct, IGemmKernel
        {
            int nr = TK.NR, panels = (width + nr - 1) / nr, stride = panels * nr;
            _shared = SharedBuffer.Get((long)stride * k); // per kc block p at p·kc·stride: panels (panels, kcb, NR)
            ForEachPart(panels, threads, (p0, p1) =>
            {
                for (int pc = 0; pc < k; pc += kc)
                {
                    int kcb = Math.Min(kc, k - pc), cols = Math.Min(width, p1 * nr) - p0 * nr;
                    PackB(b, pc, jc + p0 * nr, cols, kcb, nr, _shared + (long)pc * stride + (long)p0 * nr * kcb);
                }
            });
            int chunks = (m + rows - 1) / rows;
            _next = 0;
            ForEachPart(threads, threads, (_, _) =>
            {
                float* packA = PackABuffer.Get((long)RoundUp(rows, TK.MR) * kc);
                float* edge = stackalloc float[TK.MR * TK.NR];
                for (int i; (i = Interlocked.Increment(ref _next) - 1) < chunks;)
                {
                    int i0 = i * rows, mcb = Math.Min(rows, m - i0);
                    for (int pc = 0; pc < k; pc += kc)
                    {
                        int kcb = Math.Min(kc, k - pc);
                        PackPanels(a.At(i0, pc), a.RowStride, a.ColStride, mcb, kcb, TK.MR, packA);
                        SweepTiles<TK>(packA, mcb, _shared + (long)pc * stride, width, kcb, c + (long)i0 * ldc + jc, ldc, accumulate || pc > 0, edge);
                    }
                }
            });
        }

        /// <summary>Rows [ic, ic + height) of C: A's block packed once, then chunks of <paramref name="cols"/> columns.</summary>
        public void ColumnRound<TK>(int ic, int height, int n, int cols, int threads) where TK : struct, IGemmKernel
        {
            int mr = TK.MR, panels = (height + mr - 1) / mr, stride = panels * mr;
            _shared = SharedBuffer.Get((long)stride * k); // per kc block p at p·kc·stride: panels (panels, kcb, MR)
            ForEachPart(panels, threads, (p0, p1) =>
            {
                for (int pc = 0; pc < k; pc += kc)
                {
                    int kcb = Math.Min(kc, k - pc), lines = Math.Min(height, p1 * mr) - p0 * mr;
                    PackPanels(a.At(ic + p0 * mr, pc), a.RowStride, a.ColStride, lines, kcb, mr, _shared + (long)pc * stride + (long)p0 * mr * kcb);
                }
            });
            int chunks = (n + cols - 1) / cols, block = RoundUp(MC, mr);
            _next = 0;
            ForEachPart(threads, threads, (_, _) =>
            {
                float* packB = PackBBuffer.Get((long)RoundUp(cols, TK.NR) * kc);
                float* edge = stackalloc float[TK.MR * TK.NR];
                for (int j; (j = Interlocked.Increment(ref _next) - 1) < chunks;)
                {
                    int j0 = j * cols, ncb = Math.Min(cols, n - j0);
                    for (int pc = 0; pc < k; pc += kc)
                    {
                        int kcb = Math.Min(kc, k - pc);
                        PackB(b, pc, j0, ncb, kcb, TK.NR, packB);
                        for (int i0 = 0; i0 < height; i0 += block)
                        {
                            SweepTiles<TK>(_shared + (long)pc * stride + (long)i0 * kcb, Math.Min(block, height - i0), packB, ncb, kcb,
                                c + (long)(ic + i0) * ldc + j0, ldc, accumulate || pc > 0, edge);
                        }
                    }
                }
            });
        }
    }

    // body(first, end) over `parts` equal ranges of [0, count), on up to `threads` threads (the caller runs one).
    private static void ForEachPart(int count, int threads, Action<int, int> body)
    {
        int parts = Math.Min(count, threads);
        if (parts <= 1) { body(0, count); return; }
        WorkerTeam.For(parts, t => body((int)((long)count * t / parts), (int)((long)count * (t + 1) / parts)));
    }
}
