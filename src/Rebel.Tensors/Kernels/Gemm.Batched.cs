// Batched GEMM: `batch` independent products at fixed strides (attention scores, batched matmul);
// small products run one per thread across the batch, large ones one after another, each threaded inside.
namespace Rebel.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// For each b in [0, batch): C_b = op(A_b)·op(B_b) (+ C_b), where A_b starts at <c>b * strideA</c> in <paramref name="a"/>,
    /// B_b at <c>b * strideB</c>, C_b at <c>b * strideC</c>; shapes and transposes as in <see cref="Multiply"/>.
    /// A stride of 0 shares one A (or B) across the batch; C strides must keep the outputs disjoint.
    /// </summary>
    public static void MultiplyBatched(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int batch, int m, int n, int k, int strideA, int strideB, int strideC,
        bool transA = false, bool transB = false, bool accumulate = false)
    {
        if (batch < 0) throw new ArgumentException($"Gemm: negative batch {batch}.");
        if (batch == 0) return;
        if (strideA < 0 || strideB < 0 || strideC < 0) throw new ArgumentException("Gemm: negative batch stride.");
        if (batch > 1 && strideC < (long)m * n) throw new ArgumentException($"Gemm: strideC {strideC} < m*n = {(long)m * n}; outputs would overlap.");
        long last = batch - 1;
        CheckSizes(
            (int)Math.Min(int.MaxValue, a.Length - last * strideA),
            (int)Math.Min(int.MaxValue, b.Length - last * strideB),
            (int)Math.Min(int.MaxValue, c.Length - last * strideC), m, n, k);
        GemmPath path = ActivePath;
        long work = (long)m * n * k;
        if (batch == 1 || work >= ParallelThreshold || work * batch < ParallelThreshold || MaxThreads == 1)
        {
            for (int i = 0; i < batch; i++)
            {
                MultiplyOn(path, a.Slice(i * strideA), b.Slice(i * strideB), c.Slice(i * strideC),
                    m, n, k, transA, transB, accumulate, allowThreads: true);
            }
            return;
        }
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            var job = new BatchJob(path, pa, a.Length, pb, b.Length, pc, c.Length, m, n, k, strideA, strideB, strideC, transA, transB, accumulate);
            int parts = Math.Min(batch, MaxThreads);
            WorkerTeam.For(parts, t => job.RunRange((int)((long)batch * t / parts), (int)((long)batch * (t + 1) / parts)));
        }
    }

    /// <summary>The arguments of one batched call, so each thread can run a range of batch items.</summary>
    private readonly struct BatchJob(GemmPath path, float* a, int aLength, float* b, int bLength, float* c, int cLength,
        int m, int n, int k, int strideA, int strideB, int strideC, bool transA, bool transB, bool accumulate)
    {
        public void RunRange(int first, int end)
        {
            for (int i = first; i < end; i++)
            {
                long oa = (long)i * strideA, ob = (long)i * strideB, oc = (long)i * strideC;
                MultiplyOn(path, new ReadOnlySpan<float>(a + oa, (int)(aLength - oa)), new ReadOnlySpan<float>(b + ob, (int)(bLength - ob)),
                    new Span<float>(c + oc, (int)(cLength - oc)), m, n, k, transA, transB, accumulate, allowThreads: false);
            }
        }
    }
}
