// This machine's memory bandwidth for `rebel bench model`: a STREAM-like triad a = b + s·c over arrays far larger than the
// caches, split across every core, so decode speed (which reads every weight once per step) can be set against it.
using System.Diagnostics;
using System.Numerics.Tensors;

namespace Rebel.Tensors.Kernels;

/// <summary>Measures sustained memory bandwidth in GB/s.</summary>
public static class MemoryBench
{
    /// <summary>
    /// Best GB/s of the triad a[i] = b[i] + s·c[i] over three arrays of <paramref name="floats"/> floats each (default 16M,
    /// 64 MiB per array), the index range cut into one contiguous part per core. Bytes counted as STREAM counts them: two reads
    /// and one write, 12 bytes per element (write-allocate traffic not included, so the true bus traffic is a little higher).
    /// </summary>
    public static double TriadGigabytesPerSecond(int floats = 16 << 20, int repeats = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(floats, 1);
        float[] a = new float[floats], b = new float[floats], c = new float[floats];
        b.AsSpan().Fill(1f);
        c.AsSpan().Fill(2f);
        int parts = Math.Max(1, Environment.ProcessorCount);
        void Triad() => Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
        {
            int start = (int)((long)floats * p / parts), end = (int)((long)floats * (p + 1) / parts);
            TensorPrimitives.MultiplyAdd(c.AsSpan(start, end - start), 3f, b.AsSpan(start, end - start), a.AsSpan(start, end - start));
        });
        Triad(); // touches every page and starts the workers
        double best = 0;
        for (int r = 0; r < repeats; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Triad();
            best = Math.Max(best, 12.0 * floats / Stopwatch.GetElapsedTime(t0).TotalSeconds / 1e9);
        }
        return best;
    }
}
