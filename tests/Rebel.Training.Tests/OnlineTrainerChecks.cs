// Checks an online baseline must pass on the tiny setup: mean reward rises, and a resumed run equals an uninterrupted one.
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

    public static void ResumedRunEqualsUninterruptedRun(Factory create, string name)
    {
        var tok = TinySetup.Tokenizer();
        var prompts = TinySetup.Prompts(12);
        var dir = Directory.CreateTempSubdirectory(name).FullName;
        try
        {
            var full = TinySetup.Model(tok);
            create(full, tok, prompts, 4, null).Train();

            var first = TinySetup.Model(tok);
            var t1 = create(first, tok, prompts, 4, dir);
            t1.RunIteration();
            t1.RunIteration();
            t1.SaveCheckpoint(Path.Combine(dir, "checkpoint"));

            var resumed = TinySetup.Model(tok, seed: 99);
            var t2 = create(resumed, tok, prompts, 4, dir);
            t2.LoadCheckpoint(Path.Combine(dir, "checkpoint"));
            Assert.Equal(2, t2.Iteration);
            while (t2.Iteration < 4) t2.RunIteration();
            foreach (var (parameter, p) in full.NamedParameters)
                Assert.True(p.Span.SequenceEqual(resumed.NamedParameters[parameter].Span), $"parameter {parameter} differs after resume");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
