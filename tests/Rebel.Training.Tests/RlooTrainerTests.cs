namespace Rebel.Training.Tests;

public class RlooTrainerTests
{
    internal static RlooOptions TinyOptions(int iterations) => new()
    {
        PromptsPerIteration = 8, MaxNewTokens = 8, Temperature = 1f, Seed = 11, Iterations = iterations, CompletionsPerPrompt = 4, KlCoefficient = 0f, Epochs = 2, MiniBatchSize = 8, LearningRate = 5e-3f,
    };

    [Fact]
    public void MeanRewardRises() => OnlineTrainerChecks.MeanRewardRises((policy, tok, prompts, iterations, dir) =>
        new RlooTrainer(policy, tok, prompts, new TinySetup.LetterReward(), TinyOptions(iterations), dir));
}
