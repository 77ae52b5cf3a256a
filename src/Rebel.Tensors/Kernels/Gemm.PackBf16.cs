// Products whose B is a bfloat16 matrix (a frozen weight held in bf16): B is widened to float32 while its panels are packed,
// so the micro-kernels, A and C stay float32 and no float32 copy of the whole weight exists (products of at most 16 rows on
// AVX-512 take the few-row kernels on widened blocks of a few MB).
namespace Rebel.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Products with at most this many rows widen a bf16 B block by block for the few-row kernels; more rows pack panels
    /// instead.
    /// </summary>
    private const int FewRowsBf16 = 16;

    /// <summary>
    /// C = A·op(B) (+ C when <paramref name="accumulate"/>) with B in bfloat16 bits: A is M×K, B is K×N (N×K when
    /// <paramref name="transB"/>), C is M×N, dense row-major. Equals <see cref="Multiply"/> on B widened to float32.
    /// </summary>
    public static void MultiplyBf16(ReadOnlySpan<float> a, ReadOnlySpan<ushort> b, Span<float> c, int m, int n, int k,
        bool transB = false, bool accumulate = false) =>
        MultiplyBf16On(ActivePath, a, b, c, m, n, k, transB, accumulate, allowThreads: true);

    /// <summary><see cref="MultiplyBf16"/> on an explicit path (tests compare every path with the float32 product).</summary>
    internal static void MultiplyBf16On(GemmPath path, ReadOnlySpan<float> a, ReadOnlySpan<ushort> b, Span<float> c, int m, int n, int k,
        bool transB, bool accumulate, bool allowThreads, long sharedFloats = SharedFloats)
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        if (m <= FewRowsBf16 && Supported(path) == GemmPath.Avx512)
        {
            FewRowsBf16Blocks(path, a, b, c, m, n, k, transB, accumulate, allowThreads, sharedFloats);
            return;
        }
        fixed (float* pa = a)
        fixed (ushort* pb = b)
        fixed (float* pc = c)
        {
            // A (m, k); B (k, n) or (n, k) when transB; C (m, n)
            var av = new View(pa, k, 1);
            var bv = transB ? new View(pb, 1, k) : new View(pb, n, 1);
            switch (Supported(path))
            {
                case GemmPath.Avx512: Run<Avx512Kernel14x32>(av, bv, pc, n, m, n, k, accumulate, allowThreads, sharedFloats); break;
                case GemmPath.Avx2: Run<Avx2Kernel6x16>(av, bv, pc, n, m, n, k, accumulate, allowThreads, sharedFloats); break;
                default: Run<ScalarKernel4x4>(av, bv, pc, n, m, n, k, accumulate, allowThreads, sharedFloats); break;
            }
        }
    }

    /// <summary>
    /// <see cref="PackPanels"/> from bfloat16 bits: source element (line, l) is <c>src[line * strideW + l * strideL]</c>, widened
    /// to float32 at <c>dest[(line / w) * w * length + l * w + line % w]</c>; lines past <paramref name="width"/> are zero.
    /// </summary>
    internal static void PackPanelsBf16(ushort* src, long strideW, long strideL, int width, int length, int w, float* dest)
    {
        // src: (width, length) strided bf16; dest: (ceil(width / w), length, w)
        for (int line0 = 0; line0 < width; line0 += w)
        {
            int lines = Math.Min(w, width - line0);
            ushort* s = src + line0 * strideW;
            if (lines == w && strideW == 1)
            {
                // the w values of one step are contiguous (B not transposed): one vector widening per step
                for (int l = 0; l < length; l++) Bf16.Widen(new ReadOnlySpan<ushort>(s + l * strideL, w), new Span<float>(dest + (long)l * w, w));
            }
            else
            {
                PackPanelBf16Reference(s, strideW, strideL, lines, length, w, dest);
            }
            dest += (long)w * length;
        }
    }

    /// <summary>Scalar reference for one panel: (lines, length) strided bf16 → (length, w) float32, lines..w zero.</summary>
    internal static void PackPanelBf16Reference(ushort* s, long strideW, long strideL, int lines, int length, int w, float* dest)
    {
        for (int i = 0; i < lines; i++)
        {
            ushort* line = s + i * strideW;
            float* d = dest + i;
            for (int l = 0; l < length; l++) d[(long)l * w] = Bf16.ToSingle(line[l * strideL]);
        }
        for (int l = 0; l < length; l++)
            for (int i = lines; i < w; i++) dest[(long)l * w + i] = 0f;
    }

    // Few rows (decode steps) take the few-row kernels, which stream W in its own layout and pack nothing: W is widened a block
    // of output columns at a time (about sharedFloats floats) into a pooled float32 buffer, multiplied into a block of C and
    // added or copied there, so the product equals the float32 one bit for bit and no float32 copy of the whole weight exists
    // (a whole copy of a 0.5B model's vocabulary head was 545 MB, kept by the pool).
    private static void FewRowsBf16Blocks(GemmPath path, ReadOnlySpan<float> a, ReadOnlySpan<ushort> b, Span<float> c, int m, int n, int k,
        bool transB, bool accumulate, bool allowThreads, long sharedFloats)
    {
        // Whole 32-column strips, as the few-row kernels take them, so each column sums its terms in the same order as in one call.
        int block = (int)Math.Min(Math.Max(sharedFloats / Math.Max(k, 1) / 32, 1) * 32, n);
        float[] wide = System.Buffers.ArrayPool<float>.Shared.Rent(block * k);
        float[] part = System.Buffers.ArrayPool<float>.Shared.Rent(m * block);
        try
        {
            for (int j0 = 0; j0 < n; j0 += block)
            {
                int nb = Math.Min(block, n - j0);
                var w = wide.AsSpan(0, nb * k);
                if (transB) Bf16.Widen(b.Slice(j0 * k, nb * k), w); // rows j0.. of the (n, k) weight
                else for (int r = 0; r < k; r++) Bf16.Widen(b.Slice(r * n + j0, nb), w.Slice(r * nb, nb)); // columns j0.. of (k, n)
                var cBlock = part.AsSpan(0, m * nb);
                MultiplyOn(path, a, w, cBlock, m, nb, k, transA: false, transB, accumulate: false, allowThreads, sharedFloats);
                for (int i = 0; i < m; i++)
                {
                    var source = cBlock.Slice(i * nb, nb);
                    var target = c.Slice(i * n + j0, nb);
                    if (accumulate) System.Numerics.Tensors.TensorPrimitives.Add(target, source, target);
                    else source.CopyTo(target);
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(wide);
            System.Buffers.ArrayPool<float>.Shared.Return(part);
        }
    }
}
