namespace Rebel.Training.Tests;

public class ReinforceTrainerTests
{
    internal static ReinforceOptions TinyOptions(int iterations) => new()
    {
        PromptsPerIteration = 8, MaxNewTokens = 8, Temperature = 1f, Seed = 11, Iterations = iterations, CompletionsPerPrompt = 4, KlCoefficient = 0f, Epochs = 2, MiniBatchSize = 8, LearningRate = 5e-3f,
    };

    private static readonly OnlineTrainerChecks.Factory Create = (policy, tok, prompts, iterations, dir) =>
        new ReinforceTrainer(policy, tok, prompts, new TinySetup.LetterReward(), TinyOptions(iterations), dir);

    [Fact]
    public void MeanRewardRises() => OnlineTrainerChecks.MeanRewardRises(Create);
}
