// Few-row products against a weight packed once into column panels (decode steps, which reuse every weight unchanged for a
// whole generation): panel s holds columns [32s, 32s + 32) of the (k, n) right operand as k contiguous rows of 32 floats
// (the last panel zero-padded), so a decode product reads each panel front to back: one stream per thread, four kilobytes per
// page, where the in-place paths walk a strided 32-column strip of a Conv1D weight (one page per row) or four rows of an
// nn.Linear weight at once. Each panel goes through the direct path's own strip routine (BroadcastStrip) with a row stride of
// 32, so the results equal that path's bit for bit.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rebel.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>Columns per panel of <see cref="PackColumnPanels"/>.</summary>
    public const int PanelWidth = 32;

    /// <summary>Floats that <see cref="PackColumnPanels"/> writes for a (k, n) operand: ⌈n/32⌉·k·32.</summary>
    public static long ColumnPanelsLength(int k, int n) => (long)((n + PanelWidth - 1) / PanelWidth) * k * PanelWidth;

    /// <summary>
    /// Packs the right operand of C = A·op(W) into column panels for <see cref="MultiplyColumnPanels(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, bool, bool)"/>:
    /// op(W) is (k, n), W is stored (k, n) row-major, or (n, k) when <paramref name="transB"/> (nn.Linear's layout), and
    /// <paramref name="packed"/> receives its first <see cref="ColumnPanelsLength"/> floats (panel, row, column).
    /// </summary>
    public static void PackColumnPanels(ReadOnlySpan<float> w, int k, int n, bool transB, Span<float> packed)
    {
        if (k < 0 || n < 0 || w.Length < (long)k * n) throw new ArgumentException($"PackColumnPanels: {w.Length} floats cannot hold a {k}×{n} operand.");
        if (packed.Length < ColumnPanelsLength(k, n)) throw new ArgumentException($"PackColumnPanels: {packed.Length} floats cannot hold the {ColumnPanelsLength(k, n)} of a {k}×{n} operand's panels.");
        int panels = (n + PanelWidth - 1) / PanelWidth;
        fixed (float* pw = w)
        fixed (float* pp = packed)
        {
            float* src = pw, dst = pp;
            ForEachPart(panels, panels >= 8 ? MaxThreads : 1, (s0, s1) =>
            {
                if (!transB)
                {
                    CopyPanels(src, k, n, s0, s1, dst);
                    return;
                }
                for (int s = s0; s < s1; s++)
                {
                    int j0 = s * PanelWidth, jn = Math.Min(PanelWidth, n - j0);
                    float* panel = dst + (long)s * k * PanelWidth;
                    if (jn == PanelWidth && Avx.IsSupported)
                    {
                        TransposePanel(src + (long)j0 * k, k, panel);
                        continue;
                    }
                    for (int p = 0; p < k; p++)
                    {
                        float* row = panel + (long)p * PanelWidth;
                        for (int jj = 0; jj < jn; jj++) row[jj] = src[(long)(j0 + jj) * k + p];
                        new Span<float>(row + jn, PanelWidth - jn).Clear();
                    }
                }
            });
        }
    }

    /// <summary>
    /// C (m×n) = A (m×k) · op(W) (+ C) with op(W) packed by <see cref="PackColumnPanels"/>, for products with at most <see cref="FewRows"/>
    /// rows on the AVX-512 path (<see cref="ColumnPanelsApply"/>); panels split over threads. Equals <see cref="Multiply"/> on the same
    /// operands up to the order of the additions (Conv1D's in-place path: bit for bit; the scalar reference
    /// <see cref="ColumnDotScalar"/> sums in k order).
    /// </summary>
    public static void MultiplyColumnPanels(ReadOnlySpan<float> a, ReadOnlySpan<float> panels, Span<float> c, int m, int n, int k, bool accumulate = false, bool allowThreads = true) =>
        MultiplyColumnPanels(a, panels, c, m, n, k, accumulate, allowThreads, vector: ActivePath == GemmPath.Avx512);

    /// <summary><see cref="MultiplyColumnPanels(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, bool, bool)"/> with the Vector512 kernels, or the scalar reference for every element.</summary>
    internal static void MultiplyColumnPanels(ReadOnlySpan<float> a, ReadOnlySpan<float> panels, Span<float> c, int m, int n, int k, bool accumulate, bool allowThreads, bool vector)
    {
        int count = (n + PanelWidth - 1) / PanelWidth;
        if (a.Length < (long)m * k || c.Length < (long)m * n || panels.Length < ColumnPanelsLength(k, n))
            throw new ArgumentException($"MultiplyColumnPanels: operands of {a.Length}, {panels.Length} and {c.Length} floats do not fit {m}×{k} · {k}×{n} in panels.");
        int threads = allowThreads && (long)m * n * k >= ParallelThreshold ? MaxThreads : 1;
        int chunk = FewRowsChunk(count, threads, (long)PanelWidth * m * k);
        int chunks = (count + chunk - 1) / chunk, next = 0;
        fixed (float* pa = a)
        fixed (float* pp = panels)
        fixed (float* pc = c)
        {
            float* ap = pa, wp = pp, cp = pc;
            ForEachPart(threads, threads, (_, _) =>
            {
                for (int q; (q = Interlocked.Increment(ref next) - 1) < chunks;)
                    for (int s = q * chunk; s < Math.Min(count, (q + 1) * chunk); s++)
                        BroadcastStrip(ap, wp + (long)s * k * PanelWidth, PanelWidth, cp + s * PanelWidth, n, m, k, Math.Min(PanelWidth, n - s * PanelWidth), accumulate, vector);
            });
        }
    }

    /// <summary>True when <see cref="MultiplyColumnPanels(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, bool, bool)"/> takes a product of <paramref name="m"/> rows on this machine's path.</summary>
    public static bool ColumnPanelsApply(int m) => m <= FewRows && ActivePath == GemmPath.Avx512;

    // Panels [s0, s1) of a row-major (k, n) W: 8 rows of W at a time across all of them, so the reads are 8 sequential streams
    // (a strip walked down its k rows reads a new row, a new page, every 128 bytes; a throwaway bench on one core of the loaded
    // machine: 1.2–1.6 ms for a 768 × 3072 weight against 2.3–2.5 ms with the strip order and a span copy per row); a full
    // panel row is two Vector512 copies, a partial one is copied and zero-padded.
    private static void CopyPanels(float* w, int k, int n, int s0, int s1, float* packed)
    {
        const int rows = 8;
        for (int p0 = 0; p0 < k; p0 += rows)
        {
            int p1 = Math.Min(k, p0 + rows);
            for (int s = s0; s < s1; s++)
            {
                int j0 = s * PanelWidth, jn = Math.Min(PanelWidth, n - j0);
                float* panel = packed + (long)s * k * PanelWidth;
                for (int p = p0; p < p1; p++)
                {
                    float* from = w + (long)p * n + j0, row = panel + (long)p * PanelWidth;
                    if (jn == PanelWidth && Vector512.IsHardwareAccelerated)
                    {
                        Vector512.Store(Vector512.Load(from), row);
                        Vector512.Store(Vector512.Load(from + 16), row + 16);
                        continue;
                    }
                    new ReadOnlySpan<float>(from, jn).CopyTo(new Span<float>(row, jn));
                    new Span<float>(row + jn, PanelWidth - jn).Clear();
                }
            }
        }
    }

    // panel (k, 32) = the transpose of 32 rows of W (row stride k): 8×8 blocks transposed in registers (8 sequential row streams
    // read, 8 panel rows written a block at a time), the k % 8 tail element by element.
    private static void TransposePanel(float* w, int k, float* panel)
    {
        int p = 0;
        for (; p + 8 <= k; p += 8)
            for (int jj = 0; jj < PanelWidth; jj += 8)
                Transpose8x8(w + (long)jj * k + p, k, panel + (long)p * PanelWidth + jj, PanelWidth);
        for (; p < k; p++)
            for (int jj = 0; jj < PanelWidth; jj++) panel[(long)p * PanelWidth + jj] = w[(long)jj * k + p];
    }

    // dst (8×8, row stride ldd) = the transpose of src (8×8, row stride lds).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, int lds, float* dst, int ldd)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + lds), r2 = Avx.LoadVector256(src + 2 * lds), r3 = Avx.LoadVector256(src + 3 * lds);
        Vector256<float> r4 = Avx.LoadVector256(src + 4 * lds), r5 = Avx.LoadVector256(src + 5 * lds), r6 = Avx.LoadVector256(src + 6 * lds), r7 = Avx.LoadVector256(src + 7 * lds);
        // interleave pairs of rows, then pairs of pairs, then swap 128-bit halves
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }
}
