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
    public static TheoryData<string> Fixtures => new() { "gpt2", "gpt2_noprefix", "llama", "llama3_scaled", "qwen2", "gpt_neox" };

    public static TheoryData<string> BatchedFixtures => new() { "gpt2", "llama" };

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
    public void Llama3Scaled_EosListAndBf16WeightsLoad()
    {
        var config = HfModelLoader.LoadConfig(Dir("llama3_scaled"));
        Assert.Equal([2, 3], config.EosTokenIds);
        Assert.Equal(new Llama3RopeScaling(8, 1, 4, 32), config.RopeScaling);
        Assert.True(config.TieWordEmbeddings);
    }
}
