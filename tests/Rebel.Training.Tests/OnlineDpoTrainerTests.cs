namespace Rebel.Training.Tests;

public class OnlineDpoTrainerTests
{
    private static OnlineDpoOptions TinyOptions(int iterations) => new()
    {
        PromptsPerIteration = 8, MaxNewTokens = 8, Temperature = 1f, Seed = 11, Iterations = iterations, CompletionsPerPrompt = 4, Beta = 0.5f, Epochs = 2, MiniBatchSize = 4, LearningRate = 3e-3f,
    };

    [Fact]
    public void MeanRewardRises()
    {
        var tok = TinySetup.Tokenizer();
        var trainer = new OnlineDpoTrainer(TinySetup.Model(tok), tok, TinySetup.Prompts(16), new TinySetup.LetterReward(), TinyOptions(30));
        trainer.Train();
        var (first, last) = TinySetup.ScoreTrend(trainer.Metrics);
        Assert.True(last > first + 0.1, $"mean reward went from {first:F3} to {last:F3}");
        Assert.All(trainer.Metrics.Rows, r => Assert.True(double.IsFinite(r["loss/policy_avg"])));
    }
}
