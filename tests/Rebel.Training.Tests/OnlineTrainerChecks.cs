// The check every online baseline must pass on the tiny setup: mean reward rises (resume is checked for every trainer in ResumeTests).
using Rebel.Models;
using Rebel.Models.Tokenization;
using Rebel.Training.Data;

namespace Rebel.Training.Tests;

internal static class OnlineTrainerChecks
{
    /// <summary>Builds the trainer under test with its tiny options for the given iteration count.</summary>
    public delegate LanguagePolicyTrainer Factory(LanguageModel policy, BpeTokenizer tokenizer, IReadOnlyList<PromptRecord> prompts, int iterations, string? outputDirectory);

    public static void MeanRewardRises(Factory create)
    {
        var tok = TinySetup.Tokenizer();
        var trainer = create(TinySetup.Model(tok), tok, TinySetup.Prompts(16), 30, null);
        trainer.Train();
        var (first, last) = TinySetup.ScoreTrend(trainer.Metrics);
        Assert.True(last > first + 0.1, $"mean reward went from {first:F3} to {last:F3}");
        Assert.All(trainer.Metrics.Rows, r => Assert.True(double.IsFinite(r["loss/policy_avg"])));
    }
}
