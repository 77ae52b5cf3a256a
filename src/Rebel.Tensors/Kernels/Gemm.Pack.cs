// Packing: copies a block of A or B into contiguous micro-panels in the order the micro-kernel reads them,
// zero-padding partial panels; transposed operands are handled here so the kernels see one layout.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rebel.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// A strided matrix view: element (row, col) is at <c>Ptr[row * RowStride + col * ColStride]</c>, or, for a bfloat16
    /// matrix (a frozen weight as B), at <c>Half[row * RowStride + col * ColStride]</c> with Ptr null.
    /// </summary>
    internal readonly struct View(float* ptr, long rowStride, long colStride)
    {
        public readonly float* Ptr = ptr;
        public readonly ushort* Half;
        public readonly long RowStride = rowStride;
        public readonly long ColStride = colStride;

        public View(ushort* half, long rowStride, long colStride) : this((float*)null, rowStride, colStride) => Half = half;

        public float* At(long row, long col) => Ptr + row * RowStride + col * ColStride;

        public ushort* HalfAt(long row, long col) => Half + row * RowStride + col * ColStride;
    }

    /// <summary>Packs the (length, width) block of B at (row, col) into NR-wide panels, widening bfloat16 on the way.</summary>
    internal static void PackB(View b, int row, int col, int width, int length, int w, float* dest)
    {
        if (b.Half != null) PackPanelsBf16(b.HalfAt(row, col), b.ColStride, b.RowStride, width, length, w, dest);
        else PackPanels(b.At(row, col), b.ColStride, b.RowStride, width, length, w, dest);
    }

    /// <summary>
    /// Packs <paramref name="width"/> lines of <paramref name="length"/> values into panels of <paramref name="w"/> lines:
    /// source element (line, l) is <c>src[line * strideW + l * strideL]</c>; it lands at
    /// <c>dest[(line / w) * w * length + l * w + line % w]</c>. Lines past <paramref name="width"/> are zero.
    /// </summary>
    internal static void PackPanels(float* src, long strideW, long strideL, int width, int length, int w, float* dest)
    {
        // src: (width, length) strided; dest: (ceil(width / w), length, w)
        for (int line0 = 0; line0 < width; line0 += w)
        {
            int lines = Math.Min(w, width - line0);
            float* s = src + line0 * strideW;
            if (lines == w && strideW == 1) PackContiguousSteps(s, strideL, length, w, dest);
            else if (lines == w && strideL == 1) PackContiguousLines(s, strideW, length, w, dest);
            else PackGeneral(s, strideW, strideL, lines, length, w, dest);
            dest += (long)w * length;
        }
    }

    /// <summary>Full panel whose w values of one step are contiguous (A transposed, B not): one vector copy per step.</summary>
    private static void PackContiguousSteps(float* s, long strideL, int length, int w, float* dest)
    {
        // s: (length, w) with row stride strideL; dest: (length, w)
        if (w == 32 && Vector512.IsHardwareAccelerated)
        {
            for (int l = 0; l < length; l++, s += strideL, dest += 32)
            {
                Vector512.Load(s).Store(dest);
                Vector512.Load(s + 16).Store(dest + 16);
            }
            return;
        }
        if (w >= 8 && Vector256.IsHardwareAccelerated)
        {
            for (int l = 0; l < length; l++, s += strideL, dest += w)
            {
                for (int o = 0; o + 8 <= w; o += 8) Vector256.Load(s + o).Store(dest + o);
                if (w % 8 != 0) Vector256.Load(s + w - 8).Store(dest + w - 8);
            }
            return;
        }
        for (int l = 0; l < length; l++, s += strideL, dest += w)
        {
            for (int i = 0; i < w; i++) dest[i] = s[i];
        }
    }

    /// <summary>Full panel whose lines are contiguous (A not transposed, B transposed): a transpose into the panel.</summary>
    private static void PackContiguousLines(float* s, long strideW, int length, int w, float* dest)
    {
        // s: (w, length) with row stride strideW; dest: (length, w)
        if (Avx512F.IsSupported)
        {
            PackLinesAvx512(s, strideW, length, w, dest);
            return;
        }
        for (int i = 0; i < w; i++)
        {
            float* line = s + i * strideW;
            float* d = dest + i;
            for (int l = 0; l < length; l++) d[(long)l * w] = line[l];
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PackGeneral(float* s, long strideW, long strideL, int lines, int length, int w, float* dest)
    {
        // s: (lines, length) strided; dest: (length, w), lines..w zero
        for (int l = 0; l < length; l++, dest += w)
        {
            float* col = s + l * strideL;
            int i = 0;
            for (; i < lines; i++) dest[i] = col[i * strideW];
            for (; i < w; i++) dest[i] = 0f;
        }
    }
}
