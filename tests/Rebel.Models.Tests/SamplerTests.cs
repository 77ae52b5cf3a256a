// Sampler checks against full re-forward passes: greedy decoding, batching with left padding, seeds, log-probs, stops.
using Rebel.Models.Sampling;
using Rebel.Tensors;

namespace Rebel.Models.Tests;

public class SamplerTests
{
    private static readonly int[][] Prompts = [[5, 9, 2, 30, 7], [11], [4, 0, 36]];

    // Greedy decoding by re-running the whole sequence each step, no cache, no padding.
    private static int[] GreedyFullForward(LanguageModel model, int[] prompt, int steps)
    {
        var seq = new List<int>(prompt);
        int v = model.Config.VocabSize;
        for (int s = 0; s < steps; s++)
        {
            var logits = TestModels.Logits(model, [.. seq], 1);
            seq.Add(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.AsSpan(logits.Length - v, v)));
        }
        return [.. seq.Skip(prompt.Length)];
    }

    [Theory]
    [MemberData(nameof(TestModels.Architectures), MemberType = typeof(TestModels))]
    public void GreedyWithCache_EqualsGreedyFullForward_AndBatchEqualsAlone(ModelArchitecture arch)
    {
        var model = TestModels.Create(TestModels.Config(arch) with { EosTokenIds = [] });
        var options = new SamplingOptions { MaxNewTokens = 12, Temperature = 0 };
        var batched = Sampler.Generate(model, Prompts, options, new Rng(1));
        for (int i = 0; i < Prompts.Length; i++)
        {
            var alone = Sampler.Generate(model, [Prompts[i]], options, new Rng(1))[0];
            Assert.Equal(GreedyFullForward(model, Prompts[i], 12), alone.Tokens);
            Assert.Equal(alone.Tokens, batched[i].Tokens);
            for (int t = 0; t < alone.LogProbs.Length; t++) Assert.True(Math.Abs(alone.LogProbs[t] - batched[i].LogProbs[t]) < 1e-4, $"step {t}: {alone.LogProbs[t]} vs {batched[i].LogProbs[t]}");
        }
    }

    [Theory]
    [MemberData(nameof(TestModels.Architectures), MemberType = typeof(TestModels))]
    public void SameSeed_SameOutput_DifferentSeed_DifferentOutput(ModelArchitecture arch)
    {
        var model = TestModels.Create(TestModels.Config(arch) with { EosTokenIds = [] });
        var options = new SamplingOptions { MaxNewTokens = 16, Temperature = 1.5f, TopK = 20, TopP = 0.95f };
        var a = Sampler.Generate(model, Prompts, options, new Rng(42));
        var b = Sampler.Generate(model, Prompts, options, new Rng(42));
        var c = Sampler.Generate(model, Prompts, options, new Rng(43));
        for (int i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(a[i].Tokens, b[i].Tokens);
            Assert.Equal(a[i].LogProbs, b[i].LogProbs);
        }
        Assert.False(Enumerable.Range(0, Prompts.Length).All(i => a[i].Tokens.SequenceEqual(c[i].Tokens)));
    }

    [Theory]
    [MemberData(nameof(TestModels.Architectures), MemberType = typeof(TestModels))]
    public void SharedPrefill_GivesTheSameTokensAndLogProbs_AsOnePrefillPerRow(ModelArchitecture arch)
    {
        var model = TestModels.Create(TestModels.Config(arch) with { EosTokenIds = [] });
        // three completions of each prompt, rows interleaved, one prompt repeated as a distinct array with equal content
        int[][] rows = [Prompts[0], Prompts[1], Prompts[0], Prompts[2], Prompts[1], [.. Prompts[0]], Prompts[2], Prompts[1], Prompts[2]];
        var options = new SamplingOptions { MaxNewTokens = 10, Temperature = 1.3f, TopK = 25 };
        Rng[] Streams() => [.. Enumerable.Range(0, rows.Length).Select(r => new Rng(100 + (ulong)r))];
        var shared = Sampler.Generate(model, rows, options, Streams());
        var separate = Sampler.Generate(model, rows, options with { SharePromptPrefill = false }, Streams());
        // The prefill's row count differs (3 vs 9 prompts), so a GEMM may take another path (few-row dot products): last bits only.
        for (int r = 0; r < rows.Length; r++)
        {
            Assert.Equal(separate[r].Tokens, shared[r].Tokens);
            for (int t = 0; t < shared[r].LogProbs.Length; t++)
                Assert.True(Math.Abs(separate[r].LogProbs[t] - shared[r].LogProbs[t]) < 1e-5, $"row {r} step {t}: {separate[r].LogProbs[t]} vs {shared[r].LogProbs[t]}");
        }
        Assert.False(shared[0].Tokens.SequenceEqual(shared[2].Tokens) && shared[2].Tokens.SequenceEqual(shared[5].Tokens),
            "completions of one prompt draw from their own streams");
        Assert.Equal([0, 1, 0, 2, 1, 0, 2, 1, 2], Sampler.DistinctRows(rows));
    }

    [Theory]
    [MemberData(nameof(TestModels.Architectures), MemberType = typeof(TestModels))]
    public void PackedWeights_GiveTheSameCompletions(ModelArchitecture arch)
    {
        // Weights packed into column panels for the decode steps: Conv1D products take the same kernels in the same order of
        // additions (bit for bit, GemmTests); nn.Linear's, the tied head's included, sum in another order than the dot-product path.
        var model = TestModels.Create(TestModels.Config(arch) with { EosTokenIds = [], HiddenSize = 64, IntermediateSize = 96 });
        var prompts = Enumerable.Range(0, 9).Select(r => Enumerable.Range(0, 5 + r).Select(i => (r * 5 + i) % 37).ToArray()).ToArray(); // 9 rows: Linear weights packed too
        var options = new SamplingOptions { MaxNewTokens = 12, Temperature = 1.1f };
        var packed = Sampler.Generate(model, prompts, options, new Rng(9));
        var plain = Sampler.Generate(model, prompts, options with { PackWeights = false }, new Rng(9));
        for (int r = 0; r < prompts.Length; r++)
        {
            Assert.Equal(plain[r].Tokens, packed[r].Tokens);
            for (int t = 0; t < plain[r].LogProbs.Length; t++)
                Assert.True(Math.Abs(plain[r].LogProbs[t] - packed[r].LogProbs[t]) < 1e-4, $"row {r} step {t}: {plain[r].LogProbs[t]} vs {packed[r].LogProbs[t]}");
        }
    }

    [Fact]
    public void RepeatedGeneration_ReusesItsKeyValueCache()
    {
        var model = TestModels.Create(TestModels.Config(ModelArchitecture.Gpt2) with { EosTokenIds = [], HiddenSize = 64, IntermediateSize = 64, MaxPositions = 128 });
        var prompts = Enumerable.Range(0, 16).Select(r => Enumerable.Range(0, 60).Select(i => (r * 7 + i) % 37).ToArray()).ToArray();
        var options = new SamplingOptions { MaxNewTokens = 40 };
        long cacheBytes = 2L * model.Config.Layers * prompts.Length * (60 + 40) * model.Config.HiddenSize * sizeof(float);
        Sampler.Generate(model, prompts, options, new Rng(5));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Sampler.Generate(model, prompts, options, new Rng(5));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < cacheBytes / 2, $"the second call allocated {allocated} bytes; its cache alone holds {cacheBytes}");
    }

    [Theory]
    [MemberData(nameof(TestModels.Architectures), MemberType = typeof(TestModels))]
    public void LogProbs_EqualGatherLogProbsOfFullForward(ModelArchitecture arch)
    {
        var model = TestModels.Create(TestModels.Config(arch) with { EosTokenIds = [] });
        const float temperature = 0.7f;
        var gens = Sampler.Generate(model, Prompts, new SamplingOptions { MaxNewTokens = 10, Temperature = temperature }, new Rng(5));
        for (int i = 0; i < Prompts.Length; i++)
        {
            int[] seq = [.. Prompts[i], .. gens[i].Tokens];
            using var scope = new TensorScope();
            using var noGrad = Autograd.NoGrad();
            var logits = model.Forward(seq, 1, seq.Length); // (1, T, V)
            var targets = new int[seq.Length];
            for (int t = 0; t < seq.Length; t++) targets[t] = t + 1 < seq.Length && t + 1 >= Prompts[i].Length ? seq[t + 1] : -100;
            var logp = Ops.GatherLogProbs(logits, targets, temperature).ToArray();
            for (int t = 0; t < gens[i].Tokens.Length; t++)
                Assert.True(Math.Abs(logp[Prompts[i].Length - 1 + t] - gens[i].LogProbs[t]) < 1e-4, $"token {t}: {logp[Prompts[i].Length - 1 + t]} vs {gens[i].LogProbs[t]}");
        }
    }

    [Fact]
    public void StopPredicate_EndsCompletionAfterTheMatchingToken()
    {
        var model = TestModels.Create(TestModels.Config(ModelArchitecture.Llama) with { EosTokenIds = [] });
        var greedy = new SamplingOptions { MaxNewTokens = 12, Temperature = 0 };
        var full = Sampler.Generate(model, Prompts, greedy, new Rng(1));
        int stopToken = full[0].Tokens[4];
        var stopped = Sampler.Generate(model, Prompts, greedy with { Stop = t => t[^1] == stopToken }, new Rng(1));
        int cut = Array.IndexOf(full[0].Tokens, stopToken) + 1;
        Assert.Equal(full[0].Tokens[..cut], stopped[0].Tokens);
        Assert.True(stopped[0].EndedWithStop);
        Assert.False(stopped[0].EndedWithEos);
        for (int i = 1; i < Prompts.Length; i++)
        {
            int c = Array.IndexOf(full[i].Tokens, stopToken);
            Assert.Equal(c < 0 ? full[i].Tokens : full[i].Tokens[..(c + 1)], stopped[i].Tokens);
        }
    }

    [Fact]
    public void StopStrings_MatchDecodedTextAcrossTokens()
    {
        static string Decode(IReadOnlyList<int> ids) => string.Concat(ids.Select(i => (char)('a' + i % 26)));
        var stop = StopStrings.Create(Decode, ["xyz", "qq"]);
        Assert.False(stop([23, 24]));
        Assert.True(stop([1, 23, 24, 25]));
        Assert.True(stop([16, 16]));
        Assert.False(stop([16, 17, 16]));
    }

    [Fact]
    public void Eos_EndsCompletionAndIsIncluded()
    {
        var model = TestModels.Create(TestModels.Config(ModelArchitecture.Gpt2) with { EosTokenIds = [] });
        var greedy = new SamplingOptions { MaxNewTokens = 8, Temperature = 0 };
        var full = Sampler.Generate(model, [Prompts[0]], greedy, new Rng(1))[0];
        var eos = full.Tokens[2];
        var ended = Sampler.Generate(model, [Prompts[0]], greedy with { EosTokenIds = [eos] }, new Rng(1))[0];
        Assert.True(ended.EndedWithEos);
        Assert.Equal(full.Tokens[..(Array.IndexOf(full.Tokens, eos) + 1)], ended.Tokens);
    }
}
