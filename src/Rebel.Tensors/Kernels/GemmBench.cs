// Quick GEMM throughput figures for `rebel bench gemm`: one line of figures per size, best of several timed runs.
using System.Diagnostics;

namespace Rebel.Tensors.Kernels;

/// <summary>Measures <see cref="Gemm.Multiply"/> in GFLOP/s on square and odd non-square sizes.</summary>
public static class GemmBench
{
    /// <summary>The (m, n, k) cases timed by <see cref="Run"/>: squares 256..2048 and one odd non-square product.</summary>
    public static IReadOnlyList<(int M, int N, int K)> Cases { get; } =
        [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (777, 1031, 3079)];

    /// <summary>
    /// Yields "gemm" figures n and gflops for squares, m, n, k and gflops otherwise (one decimal); each GFLOP/s figure is the
    /// best of <paramref name="repeats"/> runs of about <paramref name="minSeconds"/> after a warm-up.
    /// </summary>
    public static IEnumerable<BenchFigures> Run(int repeats = 5, double minSeconds = 0.1)
    {
        foreach (var (m, n, k) in Cases)
        {
            double gflops = Measure(m, n, k, repeats, minSeconds);
            yield return new BenchFigures("gemm", m == n && n == k ? [("n", n), ("gflops", gflops)] : [("m", m), ("n", n), ("k", k), ("gflops", gflops)], Digits: 1);
        }
    }

    /// <summary>Best GFLOP/s of C = A·B at (m, n, k) over <paramref name="repeats"/> timed batches.</summary>
    public static double Measure(int m, int n, int k, int repeats = 5, double minSeconds = 0.1)
    {
        var rng = new Random(1234);
        float[] a = RandomArray(rng, m * k), b = RandomArray(rng, k * n), c = new float[m * n];
        double flops = 2.0 * m * n * k;
        Gemm.Multiply(a, b, c, m, n, k);
        int calls = 1;
        var watch = Stopwatch.StartNew();
        Gemm.Multiply(a, b, c, m, n, k);
        double once = Math.Max(watch.Elapsed.TotalSeconds, 1e-6);
        calls = Math.Max(1, (int)(minSeconds / once));
        double best = 0;
        for (int r = 0; r < repeats; r++)
        {
            watch.Restart();
            for (int i = 0; i < calls; i++) Gemm.Multiply(a, b, c, m, n, k);
            best = Math.Max(best, flops * calls / watch.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    private static float[] RandomArray(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
