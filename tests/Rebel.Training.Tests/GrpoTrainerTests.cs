namespace Rebel.Training.Tests;

public class GrpoTrainerTests
{
    internal static GrpoOptions TinyOptions(int iterations) => new()
    {
        PromptsPerIteration = 8, MaxNewTokens = 8, Temperature = 1f, Seed = 11, Iterations = iterations, CompletionsPerPrompt = 4, KlCoefficient = 0.01f, Epochs = 2, MiniBatchSize = 16, LearningRate = 3e-3f,
    };

    [Fact]
    public void MeanRewardRises() => OnlineTrainerChecks.MeanRewardRises((policy, tok, prompts, iterations, dir) =>
        new GrpoTrainer(policy, tok, prompts, new TinySetup.LetterReward(), TinyOptions(iterations), dir));
}
