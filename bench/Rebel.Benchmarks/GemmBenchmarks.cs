// GEMM throughput: the blocked SIMD Multiply against the scalar reference, square and odd shapes.
using BenchmarkDotNet.Attributes;
using Rebel.Tensors.Kernels;

namespace Rebel.Benchmarks;

/// <summary>C = A·B at square sizes and with one odd dimension (6·512+7).</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];

    /// <summary>(M, N, K) as "MxNxK".</summary>
    [Params("256x256x256", "1024x1024x1024", "2048x2048x2048", "3079x512x512", "512x3079x512", "777x1031x3079")]
    public string Shape { get; set; } = "256x256x256";

    private int M => int.Parse(Shape.Split('x')[0]);
    private int N => int.Parse(Shape.Split('x')[1]);
    private int K => int.Parse(Shape.Split('x')[2]);

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        _a = Enumerable.Range(0, M * K).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        _b = Enumerable.Range(0, K * N).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        _c = new float[M * N];
    }

    [Benchmark]
    public void Multiply() => Gemm.Multiply(_a, _b, _c, M, N, K);

    [Benchmark]
    public void MultiplyTransposedB() => Gemm.Multiply(_a, _b, _c, M, N, K, transB: true);

    [Benchmark]
    public void Batched8() => Gemm.MultiplyBatched(_a, _b, _c, 8, M / 8, N, K, M / 8 * K, 0, M / 8 * N);
}
