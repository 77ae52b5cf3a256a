using Rebel.Training.Data;
using Rebel.Training.Rollouts;

namespace Rebel.Training.Tests;

public class DpoTrainerTests
{
    internal static List<PreferencePair> Pairs(int n) =>
        [.. Enumerable.Range(0, n).Select(i => PreferenceDataset.Parse(
            $"{{\"prompt\": \"say {i % 7} letters:\", \"chosen\": \" abab abab\", \"rejected\": \" cdcd cdcd\"}}", $"pairs:{i + 1}"))];

    [Fact]
    public void PreferredResponseGainsProbabilityOverTheRejectedOne()
    {
        var tok = TinySetup.Tokenizer();
        var model = TinySetup.Model(tok);
        var pairs = Pairs(16);
        var trainer = new DpoTrainer(model, tok, pairs, new DpoOptions { Beta = 0.5f, Epochs = 10, BatchPairs = 8, LearningRate = 3e-3f, Seed = 5 });
        var eos = tok.EosTokenId!.Value;
        int[] prompt = pairs[0].Prompt.Encode(tok);
        int[] chosen = [.. tok.Encode(" abab abab", addSpecialTokens: false), eos], rejected = [.. tok.Encode(" cdcd cdcd", addSpecialTokens: false), eos];
        float Gap() => RolloutCollector.LogProbs(model, [prompt], [chosen], 1f)[0] - RolloutCollector.LogProbs(model, [prompt], [rejected], 1f)[0];
        float before = Gap();
        trainer.Train();
        Assert.Equal(20, trainer.Step);
        Assert.True(Gap() > before + 1f, $"ln π(y_w) − ln π(y_l) went from {before:F3} to {Gap():F3}");
        Assert.True(trainer.Metrics.Rows[^1]["loss/policy_avg"] < Math.Log(2) - 0.1, "the DPO loss did not fall below ln 2");
        Assert.Equal(1.0, trainer.Metrics.Rows[^1]["rewards/accuracies"]);
    }

    [Fact]
    public void MissingFieldIsReported()
    {
        var e = Assert.Throws<InvalidDataException>(() => PreferenceDataset.Parse("{\"prompt\": \"say 1 letters:\", \"chosen\": \"a\"}", "pairs:1"));
        Assert.Contains("rejected", e.Message);
        Assert.StartsWith("pairs:1:", e.Message, StringComparison.Ordinal);
    }
}
