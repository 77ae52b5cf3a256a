// Weights held in bfloat16 (LanguageModel.FreezeToBf16) against the float32 model and the golden fixtures of scripts/golden.
using System.Text.Json.Nodes;
using Rebel.Models.Pretrained;
using Rebel.Models.Sampling;
using Rebel.Tensors;

namespace Rebel.Models.Tests;

public class FrozenBf16Tests
{
    private static string Dir(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    private static int[] Ints(JsonNode? n) => [.. n!.AsArray().Select(x => x!.GetValue<int>())];

    [Theory]
    [MemberData(nameof(GoldenLogitsTests.Fixtures), MemberType = typeof(GoldenLogitsTests))]
    public void Bf16Weights_GiveLogitsWithin1em2OfFloat32(string name)
    {
        var full = HfModelLoader.Load(Dir(name));
        var half = HfModelLoader.Load(Dir(name));
        half.FreezeToBf16();
        Assert.All(half.NamedParameters.Values.Where(p => p.Rank == 2), p => Assert.True(p.IsBf16, p.Name));
        Assert.All(half.NamedParameters.Values, p => Assert.False(p.RequiresGrad, p.Name));
        var golden = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Dir(name), "golden.json")))!;
        foreach (var c in golden["cases"]!.AsArray())
        {
            var ids = Ints(c!["input_ids"]);
            using var scope = new TensorScope();
            using var noGrad = Autograd.NoGrad();
            var expected = full.Forward(ids, 1, ids.Length).Span;
            var actual = half.Forward(ids, 1, ids.Length).Span;
            float worst = 0;
            for (int i = 0; i < expected.Length; i++) worst = MathF.Max(worst, MathF.Abs(expected[i] - actual[i]));
            Assert.True(worst <= 1e-2f, $"{name}: largest logit difference {worst}");
            Assert.True(worst > 0, $"{name}: bf16 rounding changed no logit (were the weights narrowed?)");
        }
    }

    [Theory]
    [MemberData(nameof(GoldenLogitsTests.BatchedFixtures), MemberType = typeof(GoldenLogitsTests))]
    public void Bf16Weights_KeepTheGoldenGreedyTokens(string name)
    {
        var model = HfModelLoader.Load(Dir(name));
        model.FreezeToBf16();
        var g = JsonNode.Parse(File.ReadAllText(Path.Combine(Dir(name), "golden.json")))!["greedy"]!;
        var prompts = g["prompts"]!.AsArray().Select(Ints).ToArray();
        int steps = g["max_new_tokens"]!.GetValue<int>();
        var gens = Sampler.Generate(model, prompts, new SamplingOptions { MaxNewTokens = steps, Temperature = 0, EosTokenIds = [-1] }, new Rng(0));
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(Ints(g["new_tokens"]![i]), gens[i].Tokens);
    }

    [Fact]
    public void FreezeToBf16_HalvesTheCountedBytesOfTheMatrices()
    {
        var model = HfModelLoader.Load(Dir("llama"));
        long matrices = model.NamedParameters.Values.Where(p => p.Rank == 2).Sum(p => (long)p.Size);
        GC.KeepAlive(model);
        long before = TensorMemory.LiveBytes;
        model.FreezeToBf16();
        long after = TensorMemory.LiveBytes;
        Assert.Equal(matrices * 2, before - after);
        Assert.Equal(model.NamedParameters.Values.First(p => p.Rank == 2).Size, model.NamedParameters.Values.First(p => p.Rank == 2).ToArray().Length);
    }
}
