namespace Rebel.Training.Tests;

public class RlooTrainerTests
{
    private static RlooOptions TinyOptions(int iterations) => new()
    {
        PromptsPerIteration = 8, MaxNewTokens = 8, Temperature = 1f, Seed = 11, Iterations = iterations, CompletionsPerPrompt = 4, KlCoefficient = 0f, Epochs = 2, MiniBatchSize = 8, LearningRate = 5e-3f,
    };

    [Fact]
    public void MeanRewardRises()
    {
        var tok = TinySetup.Tokenizer();
        var trainer = new RlooTrainer(TinySetup.Model(tok), tok, TinySetup.Prompts(16), new TinySetup.LetterReward(), TinyOptions(30));
        trainer.Train();
        var (first, last) = TinySetup.ScoreTrend(trainer.Metrics);
        Assert.True(last > first + 0.1, $"mean reward went from {first:F3} to {last:F3}");
        Assert.All(trainer.Metrics.Rows, r => Assert.True(double.IsFinite(r["loss/policy_avg"])));
    }
}
