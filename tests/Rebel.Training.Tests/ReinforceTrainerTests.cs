namespace Rebel.Training.Tests;

public class ReinforceTrainerTests
{
    private static ReinforceOptions TinyOptions(int iterations) => new()
    {
        PromptsPerIteration = 8, MaxNewTokens = 8, Temperature = 1f, Seed = 11, Iterations = iterations, CompletionsPerPrompt = 4, KlCoefficient = 0f, Epochs = 2, MiniBatchSize = 8, LearningRate = 5e-3f,
    };

    [Fact]
    public void MeanRewardRises()
    {
        var tok = TinySetup.Tokenizer();
        var trainer = new ReinforceTrainer(TinySetup.Model(tok), tok, TinySetup.Prompts(16), new TinySetup.LetterReward(), TinyOptions(30));
        trainer.Train();
        var (first, last) = TinySetup.ScoreTrend(trainer.Metrics);
        Assert.True(last > first + 0.1, $"mean reward went from {first:F3} to {last:F3}");
        Assert.All(trainer.Metrics.Rows, r => Assert.True(double.IsFinite(r["loss/policy_avg"])));
    }

    [Fact]
    public void ResumedRunEqualsUninterruptedRun()
    {
        var tok = TinySetup.Tokenizer();
        var prompts = TinySetup.Prompts(12);
        var dir = Directory.CreateTempSubdirectory("reinforce").FullName;
        try
        {
            var full = TinySetup.Model(tok);
            new ReinforceTrainer(full, tok, prompts, new TinySetup.LetterReward(), TinyOptions(4)).Train();

            var first = TinySetup.Model(tok);
            var t1 = new ReinforceTrainer(first, tok, prompts, new TinySetup.LetterReward(), TinyOptions(4), dir);
            t1.RunIteration();
            t1.RunIteration();
            t1.SaveCheckpoint(Path.Combine(dir, "checkpoint"));

            var resumed = TinySetup.Model(tok, seed: 99);
            var t2 = new ReinforceTrainer(resumed, tok, prompts, new TinySetup.LetterReward(), TinyOptions(4), dir);
            t2.LoadCheckpoint(Path.Combine(dir, "checkpoint"));
            Assert.Equal(2, t2.Iteration);
            while (t2.Iteration < 4) t2.RunIteration();
            foreach (var (name, p) in full.NamedParameters)
                Assert.True(p.Span.SequenceEqual(resumed.NamedParameters[name].Span), $"parameter {name} differs after resume");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
