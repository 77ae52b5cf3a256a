// Decode-step products: a few rows of activations against an nn.Linear-layout weight (W (N, K), B transposed) and a
// Conv1D-layout one (W (K, N)): the few-row paths (what Multiply takes for M ≤ 16 on AVX-512) against the packed 14×32 path.
using BenchmarkDotNet.Attributes;
using Rebel.Tensors.Kernels;

namespace Rebel.Benchmarks;

/// <summary>C (M×N) = A (M×K) · Wᵀ (or · W) at GPT-2 124M and Qwen2.5-0.5B decode shapes, with an odd one (6·512+7).</summary>
[MemoryDiagnoser]
public unsafe class GemmFewRowsBenchmarks
{
    private float[] _a = [], _w = [], _c = [];

    /// <summary>(M, N, K) as "MxNxK": GPT-2 qkv and head, Qwen2.5-0.5B MLP up and down, an odd width.</summary>
    [Params("16x2304x768", "16x50257x768", "16x4864x896", "16x896x4864", "7x3079x901")]
    public string Shape { get; set; } = "16x2304x768";

    private int M => int.Parse(Shape.Split('x')[0]);
    private int N => int.Parse(Shape.Split('x')[1]);
    private int K => int.Parse(Shape.Split('x')[2]);

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        _a = Enumerable.Range(0, M * K).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        _w = Enumerable.Range(0, N * K).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        _c = new float[M * N];
    }

    [Benchmark(Baseline = true)]
    public void Packed()
    {
        fixed (float* a = _a, w = _w, c = _c)
            Gemm.Run<Gemm.Avx512Kernel14x32>(new Gemm.View(a, K, 1), new Gemm.View(w, 1, K), c, N, M, N, K, false, allowThreads: true);
    }

    [Benchmark]
    public void FewRows()
    {
        fixed (float* a = _a, w = _w, c = _c)
            Gemm.MultiplyFewRows(a, w, c, M, N, K, false, allowThreads: true, vector: true);
    }

    [Benchmark]
    public void PackedConv1D()
    {
        fixed (float* a = _a, w = _w, c = _c)
            Gemm.Run<Gemm.Avx512Kernel14x32>(new Gemm.View(a, K, 1), new Gemm.View(w, N, 1), c, N, M, N, K, false, allowThreads: true);
    }

    [Benchmark]
    public void FewRowsConv1D()
    {
        fixed (float* a = _a, w = _w, c = _c)
            Gemm.MultiplyFewRowsDirect(a, w, c, M, N, K, false, allowThreads: true, vector: true);
    }
}
