// Logits, batched decoding and gradients against golden.json values computed in float64 by the independent PyTorch
// implementations of scripts/golden (see Fixtures/README.md for the schema).
using System.Text.Json.Nodes;
using Rebel.Models.IO;
using Rebel.Models.Pretrained;
using Rebel.Models.Sampling;
using Rebel.Tensors;

namespace Rebel.Models.Tests;

public class GoldenLogitsTests
{
    public static TheoryData<string> Fixtures => new() { "gpt2", "gpt2_noprefix", "llama", "llama3_scaled", "qwen2", "gpt_neox", "mistral", "qwen3", "phi3", "gemma2" };

    public static TheoryData<string> BatchedFixtures => new() { "gpt2", "llama", "mistral", "qwen3", "phi3", "gemma2" };

    /// <summary>Fixtures whose sliding window (4 or 5) is shorter than the prompts plus their continuations.</summary>
    public static TheoryData<string> WindowFixtures => new() { "mistral", "phi3", "gemma2" };

    private static string Dir(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    private static JsonObject Golden(string name) => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Dir(name), "golden.json")))!;

    private static int[] Ints(JsonNode? n) => [.. n!.AsArray().Select(x => x!.GetValue<int>())];

    private static float[] Floats(JsonNode? n) => [.. n!.AsArray().Select(x => (float)x!.GetValue<double>())];

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, float tol = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tol + tol * MathF.Abs(expected[i]), $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Logits_MatchGolden(string name)
    {
        var model = HfModelLoader.Load(Dir(name));
        var golden = Golden(name);
        Assert.Equal(golden["vocab_size"]!.GetValue<int>(), model.Config.VocabSize);
        foreach (var c in golden["cases"]!.AsArray())
        {
            var ids = Ints(c!["input_ids"]);
            using var scope = new TensorScope();
            using var noGrad = Autograd.NoGrad();
            var hidden = model.ForwardHidden(ids, 1, ids.Length);
            AssertClose(Floats(c["final_hidden"]), hidden.Span, $"{name} hidden");
            AssertClose(Floats(c["logits"]), model.Logits(hidden).Span, $"{name} logits");
        }
    }

    [Theory]
    [MemberData(nameof(BatchedFixtures))]
    public void LeftPaddedBatch_MatchesGolden(string name)
    {
        var model = HfModelLoader.Load(Dir(name));
        var b = Golden(name)["batched_left_padded"]!;
        var rows = b["input_ids"]!.AsArray().Select(Ints).ToArray();
        var masks = b["attention_mask"]!.AsArray().Select(Ints).ToArray();
        int t = rows[0].Length, v = model.Config.VocabSize;
        var keyStart = masks.Select(m => Array.IndexOf(m, 1)).ToArray();
        var logits = TestModels.Logits(model, [.. rows.SelectMany(r => r)], rows.Length, keyStart);
        for (int r = 0; r < rows.Length; r++)
        {
            var expected = Floats(b["rows"]![r]!["logits"]);
            AssertClose(expected, logits.AsSpan((r * t + keyStart[r]) * v, (t - keyStart[r]) * v), $"{name} row {r}");
        }
    }

    [Theory]
    [MemberData(nameof(BatchedFixtures))]
    public void GreedyContinuation_MatchesGolden(string name)
    {
        var model = HfModelLoader.Load(Dir(name));
        var g = Golden(name)["greedy"]!;
        var prompts = g["prompts"]!.AsArray().Select(Ints).ToArray();
        int steps = g["max_new_tokens"]!.GetValue<int>();
        var gens = Sampler.Generate(model, prompts, new SamplingOptions { MaxNewTokens = steps, Temperature = 0, EosTokenIds = [-1] }, new Rng(0));
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(Ints(g["new_tokens"]![i]), gens[i].Tokens);
    }

    [Theory]
    [MemberData(nameof(BatchedFixtures))]
    public void CachedGreedyDecoding_EqualsRecomputeAndGolden(string name)
    {
        // One prompt at a time: the prompt fills the cache, then one token per call. Each step's logits must equal the last
        // row of a full uncached pass over the sequence so far; the tokens and the logits of the last step match golden.json.
        var model = HfModelLoader.Load(Dir(name));
        var g = Golden(name)["greedy"]!;
        int steps = g["max_new_tokens"]!.GetValue<int>(), v = model.Config.VocabSize;
        var prompts = g["prompts"]!.AsArray().Select(Ints).ToArray();
        using var noGrad = Autograd.NoGrad();
        for (int i = 0; i < prompts.Length; i++)
        {
            var seq = new List<int>(prompts[i]);
            var cache = model.CreateCache(1, seq.Count + steps);
            var step = model.Forward([.. seq], 1, seq.Count, null, cache).ToArray()[^v..];
            for (int s = 0; ; s++)
            {
                AssertClose(TestModels.Logits(model, [.. seq], 1)[^v..], step, $"{name} prompt {i} step {s} cached vs recomputed", 2e-5f);
                seq.Add(ArgMax(step));
                if (s == steps - 1) break;
                step = model.Forward([seq[^1]], 1, 1, null, cache).ToArray();
            }
            Assert.Equal(Ints(g["new_tokens"]![i]), seq[prompts[i].Length..]);
            AssertClose(Floats(g["last_step_logits"]![i]), step, $"{name} prompt {i} last step");
        }
    }

    [Theory]
    [MemberData(nameof(WindowFixtures))]
    public void SlidingWindow_IsShorterThanTheDecodedSequences(string name)
    {
        var config = HfModelLoader.LoadConfig(Dir(name));
        var g = Golden(name)["greedy"]!;
        int shortest = g["prompts"]!.AsArray().Min(p => p!.AsArray().Count) + g["max_new_tokens"]!.GetValue<int>();
        Assert.NotNull(config.SlidingWindow);
        Assert.True(config.SlidingWindow < shortest, $"{name}: window {config.SlidingWindow} does not bite on {shortest} tokens");
        // Without the window the same weights give other logits: the golden values above depend on it.
        var model = HfModelLoader.Load(Dir(name));
        var full = ModelFactory.Create(config with { SlidingWindow = null });
        full.CopyWeightsFrom(model);
        var ids = Ints(Golden(name)["cases"]![1]!["input_ids"]);
        var a = TestModels.Logits(model, ids, 1);
        var b = TestModels.Logits(full, ids, 1);
        Assert.True(a.Zip(b, (x, y) => MathF.Abs(x - y)).Max() > 0.1f);
    }

    private static int ArgMax(float[] logits) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits);

    [Fact]
    public void Gpt2Gradients_MatchGolden()
    {
        var model = HfModelLoader.Load(Dir("gpt2"));
        var g = Golden("gpt2")["gradients"]!;
        var ids = Ints(g["input_ids"]);
        int t = ids.Length;
        using var scope = new TensorScope();
        var logits = model.Forward(ids.AsSpan(0, t - 1), 1, t - 1);
        var loss = Ops.CrossEntropy(logits, ids.AsSpan(1));
        Assert.Equal(g["loss_value"]!.GetValue<double>(), loss.Item(), 4);
        loss.Backward();
        foreach (var (name, reference) in g["params"]!.AsObject())
        {
            var p = model.NamedParameters[name];
            Assert.Equal(Ints(reference!["shape"]), p.Shape);
            var first = Floats(reference["first"]);
            AssertClose(first, p.Grad.AsSpan(0, first.Length), $"grad {name}", 1e-4f);
            double norm = Math.Sqrt(p.Grad!.Sum(x => (double)x * x));
            Assert.Equal(reference["l2_norm"]!.GetValue<double>(), norm, 1e-4 * (1 + norm));
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void SaveLoad_PreservesGoldenLogits(string name)
    {
        using var dir = new TempDirectory();
        var model = HfModelLoader.Load(Dir(name));
        var ids = Ints(Golden(name)["cases"]![1]!["input_ids"]);
        var expected = TestModels.Logits(model, ids, 1);
        HfModelSaver.Save(model, dir.File("f32"));
        Assert.Equal(expected, TestModels.Logits(HfModelLoader.Load(dir.File("f32")), ids, 1));
        HfModelSaver.Save(model, dir.File("bf16"), SafetensorsDtype.BF16);
        var bf16 = TestModels.Logits(HfModelLoader.Load(dir.File("bf16")), ids, 1);
        float scale = expected.Max(MathF.Abs);
        for (int i = 0; i < expected.Length; i++) Assert.True(MathF.Abs(expected[i] - bf16[i]) <= 0.05f * scale, $"{name} bf16[{i}]: {expected[i]} vs {bf16[i]}");
    }

    [Fact]
    public void NewFamilies_ReadTheirSpecialKeys()
    {
        var mistral = HfModelLoader.LoadConfig(Dir("mistral"));
        Assert.Equal((ModelArchitecture.Mistral, 16, 4, 2, 4), (mistral.Architecture, mistral.HeadDim, mistral.Heads, mistral.KvHeads, mistral.SlidingWindow));
        var qwen3 = HfModelLoader.LoadConfig(Dir("qwen3"));
        Assert.Equal((ModelArchitecture.Qwen3, 32, 16, true, false, (int?)null), (qwen3.Architecture, qwen3.HiddenSize, qwen3.HeadDim, qwen3.TieWordEmbeddings, qwen3.AttentionBias, qwen3.SlidingWindow));
        var phi3 = HfModelLoader.LoadConfig(Dir("phi3"));
        Assert.Equal((ModelArchitecture.Phi3, 16, 0.75f, 5, false), (phi3.Architecture, phi3.HeadDim, phi3.RotaryPct, phi3.SlidingWindow, phi3.TieWordEmbeddings));
        var gemma2 = HfModelLoader.LoadConfig(Dir("gemma2"));
        Assert.Equal((ModelArchitecture.Gemma2, 16, 4, 12f, 2f, 3f), (gemma2.Architecture, gemma2.HeadDim, gemma2.SlidingWindow, gemma2.QueryPreAttnScalar, gemma2.AttnLogitSoftcapping, gemma2.FinalLogitSoftcapping));
        Assert.Equal([true, false, true], Enumerable.Range(0, gemma2.Layers).Select(gemma2.UsesSlidingWindow));
        using var folder = CheckpointFolder.Open(Dir("phi3"));
        Assert.Equal([80, 48], folder.GetInfo("model.layers.0.self_attn.qkv_proj.weight").Shape);
        Assert.Equal([128, 48], folder.GetInfo("model.layers.0.mlp.gate_up_proj.weight").Shape);
    }

    [Fact]
    public void Llama3Scaled_EosListAndBf16WeightsLoad()
    {
        var config = HfModelLoader.LoadConfig(Dir("llama3_scaled"));
        Assert.Equal([2, 3], config.EosTokenIds);
        Assert.Equal(new Llama3RopeScaling(8, 1, 4, 32), config.RopeScaling);
        Assert.True(config.TieWordEmbeddings);
    }
}
