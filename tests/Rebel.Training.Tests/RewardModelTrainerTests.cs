using Rebel.Models;
using Rebel.Models.Pretrained;
using Rebel.Tensors;
using Rebel.Training.Data;
using Rebel.Training.Rewards;

namespace Rebel.Training.Tests;

public sealed class RewardModelTrainerTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), $"rebel-rmt-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    /// <summary>Separable synthetic preferences: chosen responses repeat the letter 'a', rejected ones use only 'c' and 'd'.</summary>
    internal static List<string> PairLines(int n, ulong seed)
    {
        var rng = new Rng(seed);
        string Word(string letters) => new([.. Enumerable.Range(0, 2 + rng.NextInt(4)).Select(_ => letters[rng.NextInt(letters.Length)])]);
        return [.. Enumerable.Range(0, n).Select(i =>
            $"{{\"prompt\": \"say {i % 7} letters:\", \"chosen\": \" {Word("aab")}a\", \"rejected\": \" {Word("cd")}\"}}")];
    }

    internal static IReadOnlyList<PreferencePair> Pairs(int n, ulong seed) =>
        [.. PairLines(n, seed).Select((l, i) => PreferenceDataset.Parse(l, $"test:{i + 1}"))];

    [Fact]
    public void LearnsSeparablePreferencesAndLoadsBackAsRewardAndPreference()
    {
        var tokenizer = TinySetup.Tokenizer();
        var model = TinySetup.Model(tokenizer);
        var head = new ValueHead(model.Config.HiddenSize);
        head.Initialize(new Rng(2));
        var options = new RewardModelOptions { Epochs = 3, BatchSize = 16, LearningRate = 3e-3f, HeldOutFraction = 0.1, Seed = 4 };
        var trainer = new RewardModelTrainer(model, head, tokenizer, Pairs(200, seed: 11), options);
        Assert.Equal(20, trainer.HeldOutCount);
        double before = trainer.HeldOutAccuracy();
        Assert.True(before < 0.9, $"the untrained model already ranks {before:P1} of held-out pairs correctly; the test could not fail");
        var losses = new List<double>();
        trainer.StepCompleted = s => losses.Add(s.Loss);
        double accuracy = trainer.Train();
        Assert.True(accuracy > 0.9, $"held-out pairwise accuracy {accuracy:P1} (before training {before:P1})");
        Assert.True(losses.TakeLast(5).Average() < losses.Take(5).Average(), "loss did not fall");

        HfModelSaver.Save(model, dir, valueHead: head, tokenizer: tokenizer);
        var fresh = Pairs(20, seed: 99);
        RewardQuery Q(PreferencePair p, string y) => new(p.Prompt, y, EndedWithEos: true);
        using var rm = RewardSpec.Parse($"rm:{dir}");
        var chosen = rm.Reward!.Score([.. fresh.Select(p => Q(p, p.Chosen))]);
        var rejected = rm.Reward!.Score([.. fresh.Select(p => Q(p, p.Rejected))]);
        Assert.True(Losses.BradleyTerryLoss.Accuracy(chosen, rejected) > 0.9, "the reloaded rm: does not rank chosen above rejected");
        using var pref = RewardSpec.Parse($"pref:{dir}");
        var p = pref.Preference!.Prefer([.. fresh.Select(x => (Q(x, x.Chosen), Q(x, x.Rejected)))]);
        Assert.True(p.Average() > 0.5, $"mean P(chosen ≻ rejected) = {p.Average():F3}");
    }

    [Fact]
    public void MissingRejectedFieldIsReportedWithFileAndLine()
    {
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllLines(path, ["{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}", "", "{\"prompt\": \"p\", \"chosen\": \"a\"}"]);
        var e = Assert.Throws<InvalidDataException>(() => PreferenceDataset.Load(path));
        Assert.Contains($"{path}:3", e.Message, StringComparison.Ordinal);
        Assert.Contains("rejected", e.Message, StringComparison.Ordinal);
    }
}
