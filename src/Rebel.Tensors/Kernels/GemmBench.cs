// Quick GEMM throughput figures for `rebel bench gemm --json`: one JSON line per size, best of several timed runs.
using System.Diagnostics;
using System.Globalization;

namespace Rebel.Tensors.Kernels;

/// <summary>Measures <see cref="Gemm.Multiply"/> in GFLOP/s on square and odd non-square sizes.</summary>
public static class GemmBench
{
    /// <summary>The (m, n, k) cases timed by <see cref="Run"/>: squares 256..2048 and one odd non-square product.</summary>
    public static IReadOnlyList<(int M, int N, int K)> Cases { get; } =
        [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (777, 1031, 3079)];

    /// <summary>
    /// Yields <c>{"bench":"gemm","n":N,"gflops":G}</c> for squares and <c>{"bench":"gemm","m":M,"n":N,"k":K,"gflops":G}</c>
    /// otherwise; each figure is the best of <paramref name="repeats"/> runs of about <paramref name="minSeconds"/> after a warm-up.
    /// </summary>
    public static IEnumerable<string> Run(int repeats = 5, double minSeconds = 0.1)
    {
        foreach (var (m, n, k) in Cases)
        {
            double gflops = Measure(m, n, k, repeats, minSeconds);
            string g = gflops.ToString("F1", CultureInfo.InvariantCulture);
            yield return m == n && n == k
                ? $"{{\"bench\":\"gemm\",\"n\":{n},\"gflops\":{g}}}"
                : $"{{\"bench\":\"gemm\",\"m\":{m},\"n\":{n},\"k\":{k},\"gflops\":{g}}}";
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
