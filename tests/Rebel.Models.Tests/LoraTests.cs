// LoRA on every architecture: fresh adapters change nothing, adapters on equal the merged model, adapters off equal the
// base, only adapters receive gradients (checked against finite differences), and targets resolve as PEFT resolves them.
using Rebel.Models.Lora;
using Rebel.Tensors;

namespace Rebel.Models.Tests;

public class LoraTests
{
    private static readonly int[] Ids = [5, 9, 2, 17, 30, 11, 4, 8];

    public static IEnumerable<object[]> Architectures => TestModels.Architectures;

    // Every linear layer of the model as a target (each module's last name), so every adapted code path runs.
    private static LoraOptions AllLinear(LanguageModel model, int rank = 3, float alpha = 6f) => new()
    {
        Rank = rank, Alpha = alpha, Targets = [.. model.LinearModules.Select(p => p[(p.LastIndexOf('.') + 1)..]).Distinct()],
    };

    private static void RandomizeB(LanguageModel model, ulong seed)
    {
        var rng = new Rng(seed);
        foreach (var l in model.LoraLayers) rng.FillNormal(l.B.Span, 0f, 0.3f);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void FreshAdapters_ChangeNothing_AndAreInitialisedAsPeft(ModelArchitecture arch)
    {
        var model = TestModels.Create(arch);
        var before = TestModels.Logits(model, Ids, 1);
        model.AddLora(AllLinear(model), new Rng(3));
        Assert.Equal(before, TestModels.Logits(model, Ids, 1));
        Assert.Equal(model.LinearModules.Count(), model.LoraLayers.Count);
        foreach (var l in model.LoraLayers)
        {
            float bound = 1f / MathF.Sqrt(l.A.Dim(1));
            Assert.All(l.A.ToArray(), a => Assert.InRange(a, -bound, bound));
            Assert.Contains(l.A.ToArray(), a => MathF.Abs(a) > bound / 2);
            Assert.All(l.B.ToArray(), b => Assert.Equal(0f, b));
        }
        Assert.All(model.NamedParameters.Values, p => Assert.False(p.RequiresGrad));
        Assert.Equal(2 * model.LoraLayers.Count, model.Parameters.Count);
        Assert.All(model.Parameters, p => Assert.Contains(".lora_", p.Name!, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void AdaptersOn_EqualTheMergedModel(ModelArchitecture arch)
    {
        var model = TestModels.Create(arch);
        var baseLogits = TestModels.Logits(model, Ids, 1);
        model.AddLora(AllLinear(model), new Rng(3));
        RandomizeB(model, 4);
        var adapted = TestModels.Logits(model, Ids, 1);
        Assert.True(adapted.Zip(baseLogits).Max(p => MathF.Abs(p.First - p.Second)) > 1e-2f, "nonzero adapters must change the logits");
        model.MergeLora();
        Assert.Null(model.Lora);
        var merged = TestModels.Logits(model, Ids, 1);
        for (int i = 0; i < merged.Length; i++) Assert.True(MathF.Abs(merged[i] - adapted[i]) <= 1e-4f + 1e-4f * MathF.Abs(merged[i]), $"logit {i}: merged {merged[i]}, adapters {adapted[i]}");
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Bf16HeldBase_TrainsOnlyAdapters_AndMergesLikeTheFloat32BaseOnRoundedWeights(ModelArchitecture arch)
    {
        // The reference: a float32 model whose matrices hold the bf16-rounded values, with the same adapters.
        var rounded = TestModels.Create(arch);
        rounded.FreezeToBf16();
        var reference = rounded.CloneModel(); // widened copy, float32
        var model = TestModels.Create(arch);
        model.FreezeToBf16();
        model.AddLora(AllLinear(model), new Rng(3));
        reference.AddLora(AllLinear(reference), new Rng(3));
        RandomizeB(model, 4);
        RandomizeB(reference, 4);
        Assert.All(model.Parameters, p => Assert.Contains(".lora_", p.Name!, StringComparison.Ordinal));
        var adapted = TestModels.Logits(model, Ids, 1);
        var want = TestModels.Logits(reference, Ids, 1);
        for (int i = 0; i < want.Length; i++) Assert.True(MathF.Abs(adapted[i] - want[i]) <= 1e-4f + 1e-4f * MathF.Abs(want[i]), $"logit {i}: bf16 base {adapted[i]}, float32 {want[i]}");
        model.MergeLora();
        var merged = TestModels.Logits(model, Ids, 1);
        for (int i = 0; i < merged.Length; i++) Assert.True(MathF.Abs(merged[i] - adapted[i]) <= 1e-4f + 1e-4f * MathF.Abs(merged[i]), $"logit {i}: merged {merged[i]}, adapters {adapted[i]}");
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void AdaptersOff_AndTheReferenceModel_EqualTheBase(ModelArchitecture arch)
    {
        var model = TestModels.Create(arch);
        var baseLogits = TestModels.Logits(model, Ids, 1);
        model.AddLora(AllLinear(model), new Rng(3));
        RandomizeB(model, 4);
        float[] off;
        using (LanguageModel.AdaptersOff()) off = TestModels.Logits(model, Ids, 1);
        Assert.Equal(baseLogits, off);
        var reference = model.ReferenceModel();
        Assert.Equal(baseLogits, TestModels.Logits(reference, Ids, 1));
        Assert.Empty(reference.Parameters);
        Assert.True(LanguageModel.AdaptersEnabled);
        Assert.NotEqual(baseLogits, TestModels.Logits(model, Ids, 1));
    }

    [Theory]
    [InlineData(ModelArchitecture.Gpt2)]
    [InlineData(ModelArchitecture.Llama)]
    [InlineData(ModelArchitecture.Phi3)]
    public void Gradients_ReachOnlyAdapters_AndMatchFiniteDifferences(ModelArchitecture arch)
    {
        var model = TestModels.Create(arch);
        model.AddLora(AllLinear(model), new Rng(3));
        RandomizeB(model, 4);
        var probe = new float[Ids.Length * model.Config.VocabSize];
        new Rng(9).FillNormal(probe);
        double Loss()
        {
            using var noGrad = Autograd.NoGrad();
            var logits = model.Forward(Ids, 1, Ids.Length).ToArray();
            double s = 0;
            for (int i = 0; i < logits.Length; i++) s += (double)logits[i] * probe[i];
            return s;
        }
        var loss = Ops.Sum(Ops.Mul(model.Forward(Ids, 1, Ids.Length), Tensor.FromArray(probe, 1, Ids.Length, model.Config.VocabSize)));
        loss.Backward();
        Assert.All(model.NamedParameters.Values, p => Assert.True(p.Grad is null || p.Grad.All(g => g == 0f), $"{p.Name} received a gradient"));
        foreach (var l in new[] { model.LoraLayers[0], model.LoraLayers[^1] })
        {
            foreach (var (t, index) in new[] { (l.A, 1), (l.A, l.A.Size - 2), (l.B, 0), (l.B, l.B.Size / 2) })
            {
                float saved = t.Span[index];
                const float h = 1e-2f;
                t.Span[index] = saved + h;
                double up = Loss();
                t.Span[index] = saved - h;
                double down = Loss();
                t.Span[index] = saved;
                double numeric = (up - down) / (2 * h), analytic = t.Grad![index];
                Assert.True(Math.Abs(numeric - analytic) <= 2e-2 + 2e-2 * Math.Abs(numeric), $"{t.Name}[{index}]: numeric {numeric}, analytic {analytic}");
            }
        }
    }

    [Fact]
    public void Targets_DefaultToPeftsPerModelType_AndMatchWholeNameSuffixes()
    {
        var gpt2 = TestModels.Create(ModelArchitecture.Gpt2);
        gpt2.AddLora(new LoraOptions(), new Rng(1));
        Assert.Equal(["transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_attn"], gpt2.LoraLayers.Select(l => l.ModulePath));
        Assert.All(gpt2.LoraLayers, l => Assert.True(l.FanInFanOut));
        Assert.Equal((8, 16), (gpt2.LoraLayers[0].A.Dim(0), gpt2.LoraLayers[0].A.Dim(1)));
        Assert.Equal((48, 8), (gpt2.LoraLayers[0].B.Dim(0), gpt2.LoraLayers[0].B.Dim(1)));

        var mlpOnly = TestModels.Create(ModelArchitecture.Gpt2);
        mlpOnly.AddLora(new LoraOptions { Targets = ["mlp.c_proj"] }, new Rng(1));
        Assert.Equal(["transformer.h.0.mlp.c_proj", "transformer.h.1.mlp.c_proj"], mlpOnly.LoraLayers.Select(l => l.ModulePath));

        var llama = TestModels.Create(ModelArchitecture.Llama);
        llama.AddLora(new LoraOptions(), new Rng(1));
        Assert.Equal(["q_proj", "v_proj", "q_proj", "v_proj"], llama.LoraLayers.Select(l => l.ModulePath[(l.ModulePath.LastIndexOf('.') + 1)..]));
        Assert.Equal(["query_key_value"], LoraOptions.DefaultTargets(ModelArchitecture.GptNeoX));
        Assert.Equal(["qkv_proj"], LoraOptions.DefaultTargets(ModelArchitecture.Phi3));
        Assert.Equal(["q_proj", "v_proj"], LoraOptions.DefaultTargets(ModelArchitecture.Gemma2));

        var neox = TestModels.Create(ModelArchitecture.GptNeoX);
        neox.AddLora(new LoraOptions { Targets = ["dense"] }, new Rng(1));
        Assert.All(neox.LoraLayers, l => Assert.EndsWith("attention.dense", l.ModulePath, StringComparison.Ordinal));

        var e = Assert.Throws<ArgumentException>(() => TestModels.Create(ModelArchitecture.Llama).AddLora(new LoraOptions { Targets = ["q_proj", "proj"] }, new Rng(1)));
        Assert.Contains("'proj'", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => TestModels.Create(ModelArchitecture.Llama).AddLora(new LoraOptions { Rank = 0 }, new Rng(1)));
    }

    [Fact]
    public void Dropout_AppliesOnlyWhileRecordingGradients()
    {
        var model = TestModels.Create(ModelArchitecture.Llama);
        var clean = TestModels.Create(ModelArchitecture.Llama);
        model.AddLora(new LoraOptions { Dropout = 0.5f }, new Rng(3));
        clean.AddLora(new LoraOptions(), new Rng(3));
        RandomizeB(model, 4);
        RandomizeB(clean, 4);
        Assert.Equal(TestModels.Logits(clean, Ids, 1), TestModels.Logits(model, Ids, 1));
        Assert.NotEqual(model.Forward(Ids, 1, Ids.Length).ToArray(), clean.Forward(Ids, 1, Ids.Length).ToArray());
    }

    [Fact]
    public void CloneModel_CopiesAdapters()
    {
        var model = TestModels.Create(ModelArchitecture.Qwen2);
        model.AddLora(new LoraOptions { Rank = 2 }, new Rng(3));
        RandomizeB(model, 4);
        var copy = model.CloneModel();
        Assert.Equal(model.Lora, copy.Lora);
        Assert.Equal(TestModels.Logits(model, Ids, 1), TestModels.Logits(copy, Ids, 1));
        Assert.Equal(2 * copy.LoraLayers.Count, copy.Parameters.Count);
    }
}
