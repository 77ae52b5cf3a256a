// One training step (forward, cross-entropy, backward, AdamW inside a TensorScope) and one cached decoding call of the
// reference GPT-2 (4 layers, width 256, 4 heads, vocab 512), at a full and an odd sequence length.
using BenchmarkDotNet.Attributes;
using Rebel.Models;
using Rebel.Models.Sampling;
using Rebel.Tensors;
using Rebel.Tensors.Optim;

namespace Rebel.Benchmarks;

[MemoryDiagnoser]
public class ModelBenchmarks
{
    private LanguageModel model = null!;
    private AdamW optimizer = null!;
    private int[] inputs = [], targets = [];
    private int[][] prompts = [];

    [Params(128, 77)]
    public int Time { get; set; }

    private const int Batch = 8;

    [GlobalSetup]
    public void Setup()
    {
        model = ModelFactory.Create(ModelBench.ReferenceConfig, new Rng(0));
        optimizer = new AdamW(model.Parameters);
        var rng = new Rng(1);
        inputs = new int[Batch * Time];
        targets = new int[Batch * Time];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = rng.NextInt(512);
            targets[i] = rng.NextInt(512);
        }
        prompts = [.. Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, 16).Select(_ => rng.NextInt(512)).ToArray())];
    }

    [Benchmark]
    public float TrainStep()
    {
        using var scope = new TensorScope();
        var loss = Ops.CrossEntropy(model.Forward(inputs, Batch, Time), targets);
        optimizer.ZeroGrad();
        loss.Backward();
        optimizer.Step();
        return loss.Item();
    }

    [Benchmark]
    public int Sample48() =>
        Sampler.Generate(model, prompts, new SamplingOptions { MaxNewTokens = 48, EosTokenIds = [-1] }, new Rng(2)).Sum(g => g.Tokens.Length);
}
