using Rebel.Training.Losses;

namespace Rebel.Training.Tests;

public class ApoTrainerTests
{
    internal static ApoOptions TinyOptions(int iterations) => new()
    {
        PromptsPerIteration = 16, MaxNewTokens = 8, Temperature = 1f, Seed = 11, Iterations = iterations, KlCoefficient = 1e-3f, ValueSamples = 4, Epochs = 2, MiniBatchSize = 8, LearningRate = 5e-3f,
    };

    [Fact]
    public void MeanRewardRises() => OnlineTrainerChecks.MeanRewardRises((policy, tok, prompts, iterations, dir) =>
        new ApoTrainer(policy, tok, prompts, new TinySetup.LetterReward(), TinyOptions(iterations), dir));

    [Fact]
    public void StageOneEstimatesEveryPromptOnceAndCountsItsQueries()
    {
        var tok = TinySetup.Tokenizer();
        var prompts = TinySetup.Prompts(12);
        var trainer = new ApoTrainer(TinySetup.Model(tok), tok, prompts, new TinySetup.LetterReward(), TinyOptions(3));
        Assert.Null(trainer.OptimalValues);
        trainer.RunIteration();
        var values = trainer.OptimalValues!.ToArray();
        Assert.Equal(12, values.Length);
        // 3 iterations × 16 prompts draw every one of the 12; rewards are letter fractions in [0, 1], so V* (between their mean and best) is too.
        Assert.All(values, v => Assert.InRange(v, 0f, 1f));
        // N = 4 samples of each of the 12 prompts, then one sample of each of 16 prompts per iteration.
        Assert.Equal(12 * 4 + 16, trainer.Metrics.Rows[0]["reward_queries"]);
        trainer.RunIteration();
        Assert.Equal(values, trainer.OptimalValues!.ToArray());
        Assert.Equal(12 * 4 + 32, trainer.Metrics.Rows[1]["reward_queries"]);
    }

    [Fact]
    public void StageOneSkipsPromptsTheRunNeverDraws()
    {
        var tok = TinySetup.Tokenizer();
        var trainer = new ApoTrainer(TinySetup.Model(tok), tok, TinySetup.Prompts(12), new TinySetup.LetterReward(), TinyOptions(1) with { PromptsPerIteration = 5 });
        trainer.RunIteration();
        Assert.Equal(5, trainer.OptimalValues!.Count(v => !float.IsNaN(v)));
        Assert.Equal(5 * 4 + 5, trainer.Metrics.Rows[0]["reward_queries"]);
    }

    [Fact]
    public void OptionsRefuseMoreThanOneCompletion() =>
        Assert.Contains("one completion", Assert.Throws<ArgumentException>(() => (TinyOptions(1) with { CompletionsPerPrompt = 2 }).Validate()).Message, StringComparison.Ordinal);

    [Fact]
    public void RegisteredAsApo() => Assert.IsType<ApoOptions>(Algorithms.Find("apo").Defaults);
}
