namespace Rebel.Training.Tests;

public class OnlineDpoTrainerTests
{
    internal static OnlineDpoOptions TinyOptions(int iterations) => new()
    {
        PromptsPerIteration = 8, MaxNewTokens = 8, Temperature = 1f, Seed = 11, Iterations = iterations, CompletionsPerPrompt = 4, Beta = 0.5f, Epochs = 2, MiniBatchSize = 4, LearningRate = 3e-3f,
    };

    [Fact]
    public void MeanRewardRises() => OnlineTrainerChecks.MeanRewardRises((policy, tok, prompts, iterations, dir) =>
        new OnlineDpoTrainer(policy, tok, prompts, new TinySetup.LetterReward(), TinyOptions(iterations), dir));
}
