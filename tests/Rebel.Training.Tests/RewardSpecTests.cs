using Rebel.Models;
using Rebel.Models.Pretrained;
using Rebel.Tensors;
using Rebel.Training.Data;
using Rebel.Training.Rewards;

namespace Rebel.Training.Tests;

public sealed class RewardSpecTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), $"rebel-rm-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    private static RewardQuery Q(string prompt, string completion, bool eos = false) =>
        new(PromptDataset.Parse($"{{\"prompt\": \"{prompt}\"}}", "test:1"), completion, eos);

    [Theory]
    [InlineData("exact", "exact")]
    [InlineData("exact:label", "exact:label")]
    [InlineData("regex:^a+$", "regex:^a+$")]
    [InlineData("length", "length")]
    [InlineData("cmd:cat", "cmd:cat")]
    public void RuleSpecsParse(string spec, string name)
    {
        using var parsed = RewardSpec.Parse(spec);
        Assert.Equal(name, parsed.Reward!.Name);
        Assert.Null(parsed.Preference);
    }

    [Theory]
    [InlineData("bleu")]
    [InlineData("regex:")]
    [InlineData("cmd: ")]
    [InlineData("length:3")]
    public void UnknownSpecsListTheForms(string spec)
    {
        var e = Assert.Throws<ArgumentException>(() => RewardSpec.Parse(spec));
        Assert.Contains("rm:DIR", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RewardModelScoresTheLastTokenAndPreferenceIsBradleyTerry()
    {
        var tokenizer = TinySetup.Tokenizer();
        var model = TinySetup.Model(tokenizer);
        var head = new ValueHead(model.Config.HiddenSize, ValueHead.VHeadPrefix, bias: true);
        head.Initialize(new Rng(5), std: 0.5f);
        head.Bias!.Span[0] = 0.25f;
        HfModelSaver.Save(model, dir, valueHead: head, tokenizer: tokenizer);

        using var rm = RewardSpec.Parse($"rm:{dir}");
        var queries = new[] { Q("say 1 letters:", " abab"), Q("say 22 letters:", " cd", eos: true), Q("say 3 letters:", "") };
        var scores = rm.Reward!.Score(queries);
        for (int i = 0; i < queries.Length; i++)
        {
            // Reference: the sequence alone (no batch padding), head applied by hand to the last hidden state.
            int[] ids = [.. tokenizer.Encode(queries[i].Prompt.Prompt + queries[i].Completion), .. queries[i].EndedWithEos ? [tokenizer.EosTokenId!.Value] : Array.Empty<int>()];
            var hidden = model.ForwardHidden(ids, 1, ids.Length).Span; // (1, T, C)
            int c = model.Config.HiddenSize;
            double want = head.Bias.Span[0];
            for (int k = 0; k < c; k++) want += head.Weight.Span[k] * hidden[(ids.Length - 1) * c + k];
            Assert.Equal(want, scores[i], 4);
        }

        using var pref = RewardSpec.Parse($"pref:{dir}");
        Assert.Null(pref.Reward);
        var p = pref.Preference!.Prefer([(queries[0], queries[1]), (queries[1], queries[0])]);
        Assert.Equal(1 / (1 + Math.Exp(-(scores[0] - scores[1]))), p[0], 4);
        Assert.Equal(1.0, p[0] + p[1], 5);
    }

    [Fact]
    public void RewardModelWithoutValueHeadIsAnError()
    {
        var tokenizer = TinySetup.Tokenizer();
        HfModelSaver.Save(TinySetup.Model(tokenizer), dir, tokenizer: tokenizer);
        var e = Assert.Throws<InvalidDataException>(() => RewardSpec.Parse($"rm:{dir}"));
        Assert.Contains("value head", e.Message, StringComparison.Ordinal);
    }
}
