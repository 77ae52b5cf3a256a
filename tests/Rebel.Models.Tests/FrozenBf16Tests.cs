// Weights held in bfloat16 (LanguageModel.FreezeToBf16) against the float32 model and the golden fixtures of scripts/golden.
using System.Text.Json.Nodes;
using Rebel.Models.IO;
using Rebel.Models.Pretrained;
using Rebel.Models.Sampling;
using Rebel.Tensors;
using Rebel.Tensors.Kernels;

namespace Rebel.Models.Tests;

public class FrozenBf16Tests
{
    private static string Dir(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    private static int[] Ints(JsonNode? n) => [.. n!.AsArray().Select(x => x!.GetValue<int>())];

    /// <summary>
    /// The bf16-held model computes exactly what the float32 model computes on weights rounded to bf16 (the mechanism), and
    /// stays within 2 % of the largest |logit| of the float32 model. Measured on these random fixtures (logits up to 3–7): the
    /// largest difference is 0.02–0.04, so the absolute 1e-2 of issue 11 holds only where the weights are already bf16 values.
    /// </summary>
    [Theory]
    [MemberData(nameof(GoldenLogitsTests.Fixtures), MemberType = typeof(GoldenLogitsTests))]
    public void Bf16Weights_EqualFloat32OnRoundedWeights_AndStayNearFloat32(string name)
    {
        var full = HfModelLoader.Load(Dir(name));
        var rounded = HfModelLoader.Load(Dir(name));
        foreach (var p in rounded.NamedParameters.Values.Where(p => p.Rank == 2))
        {
            var v = p.Span;
            for (int i = 0; i < v.Length; i++) v[i] = Bf16.ToSingle(Bf16.FromSingle(v[i]));
        }
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
            var reference = full.Forward(ids, 1, ids.Length).Span;
            var expected = rounded.Forward(ids, 1, ids.Length).Span;
            var actual = half.Forward(ids, 1, ids.Length).Span;
            float worst = 0, scale = 0;
            for (int i = 0; i < actual.Length; i++)
            {
                Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-5f * (1 + MathF.Abs(expected[i])), $"{name}[{i}]: rounded float32 {expected[i]}, bf16-held {actual[i]}");
                worst = MathF.Max(worst, MathF.Abs(reference[i] - actual[i]));
                scale = MathF.Max(scale, MathF.Abs(reference[i]));
            }
            Assert.True(worst <= 2e-2f * scale, $"{name}: largest logit difference {worst} at a logit scale of {scale}");
        }
    }

    // The batched fixtures but mistral, whose bf16-held copy leaves the golden greedy path at its sixth new token (a near tie
    // of two random logits).
    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    [InlineData("qwen3")]
    [InlineData("phi3")]
    [InlineData("gemma2")]
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

    /// <summary>
    /// Loading straight into bf16 (a LoRA base with --lora-base-dtype bf16) leaves exactly the model that loading in float32
    /// and then <see cref="LanguageModel.FreezeToBf16"/> leaves: the same bits, frozen, from an F32 file and from a BF16 file.
    /// </summary>
    [Theory]
    [InlineData("gpt2", SafetensorsDtype.F32)]
    [InlineData("llama", SafetensorsDtype.F32)]
    [InlineData("qwen3", SafetensorsDtype.BF16)]
    [InlineData("gemma2", SafetensorsDtype.BF16)]
    public void LoadingIntoBf16_EqualsLoadingThenFreezing(string name, SafetensorsDtype dtype)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"rebel-bf16-load-{Guid.NewGuid():N}");
        try
        {
            HfModelSaver.Save(HfModelLoader.Load(Dir(name)), dir, dtype);
            var expected = HfModelLoader.Load(dir);
            expected.FreezeToBf16();
            var actual = HfModelLoader.Load(dir, frozenBf16: true);
            foreach (var (key, p) in expected.NamedParameters)
            {
                var q = actual.NamedParameters[key];
                Assert.Equal(p.IsBf16, q.IsBf16);
                Assert.False(q.RequiresGrad, key);
                if (p.IsBf16) Assert.True(p.Bf16Bits.SequenceEqual(q.Bf16Bits), key);
                else Assert.Equal(p.ToArray(), q.ToArray());
            }
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void FreezeToBf16_HalvesTheCountedBytesOfTheMatrices()
    {
        var model = HfModelLoader.Load(Dir("llama"));
        long matrices = model.NamedParameters.Values.Where(p => p.Rank == 2).Sum(p => (long)p.Size);
        GC.KeepAlive(model);
        GC.Collect(); // finalizers of earlier tests' models shrink the global count; let them run before measuring
        GC.WaitForPendingFinalizers();
        long before = TensorMemory.LiveBytes;
        model.FreezeToBf16();
        long after = TensorMemory.LiveBytes;
        Assert.Equal(matrices * 2, before - after);
        Assert.Equal(model.NamedParameters.Values.First(p => p.Rank == 2).Size, model.NamedParameters.Values.First(p => p.Rank == 2).ToArray().Length);
    }
}
