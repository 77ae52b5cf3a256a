using Rebel.Training.Rewards;

namespace Rebel.Training.Tests;

public class RebelTrainerTests
{
    // Fraction of 'a' characters in the completion: a dense reward a random tiny model can climb quickly.
    private sealed class LetterReward : IReward
    {
        public string Name => "letter-a";

        public float[] Score(IReadOnlyList<RewardQuery> queries) =>
            [.. queries.Select(q => q.Completion.Length == 0 ? 0f : q.Completion.Count(c => c == 'a') / (float)q.Completion.Length)];
    }

    private static RebelOptions TinyOptions(int iterations) => new()
    {
        Iterations = iterations, PromptsPerIteration = 8, CompletionsPerPrompt = 4, MaxNewTokens = 8, Temperature = 1f,
        KlCoefficient = 0.0f, Eta = 10f, Epochs = 2, MiniBatchPairs = 4, LearningRate = 3e-3f, Seed = 11,
    };

    [Fact]
    public void MeanRewardRises()
    {
        var tok = TinySetup.Tokenizer();
        var model = TinySetup.Model(tok);
        var trainer = new RebelTrainer(model, tok, TinySetup.Prompts(16), new LetterReward(), TinyOptions(30));
        trainer.Train();
        var scores = trainer.Metrics.Rows.Select(r => r["objective/scores"]).ToArray();
        double first = scores.Take(5).Average(), last = scores.TakeLast(5).Average();
        Assert.True(last > first + 0.1, $"mean reward went from {first:F3} to {last:F3}");
        Assert.All(trainer.Metrics.Rows, r => Assert.True(double.IsFinite(r["loss/policy_avg"])));
    }

    [Fact]
    public void EveryParameterMoves()
    {
        var tok = TinySetup.Tokenizer();
        var model = TinySetup.Model(tok);
        var before = model.NamedParameters.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        new RebelTrainer(model, tok, TinySetup.Prompts(8), new LetterReward(), TinyOptions(2)).Train();
        foreach (var (name, p) in model.NamedParameters)
            Assert.False(before[name].AsSpan().SequenceEqual(p.Span), $"parameter {name} did not change");
    }

    [Fact]
    public void ResumedRunEqualsUninterruptedRun()
    {
        var tok = TinySetup.Tokenizer();
        var prompts = TinySetup.Prompts(12);
        var dirA = Directory.CreateTempSubdirectory("rebel-a").FullName;
        var dirB = Directory.CreateTempSubdirectory("rebel-b").FullName;
        try
        {
            var full = TinySetup.Model(tok);
            new RebelTrainer(full, tok, prompts, new LetterReward(), TinyOptions(4), dirA).Train();

            var first = TinySetup.Model(tok);
            var opts = TinyOptions(4) with { CheckpointEvery = 2 };
            var t1 = new RebelTrainer(first, tok, prompts, new LetterReward(), opts, dirB);
            t1.RunIteration();
            t1.RunIteration();
            t1.SaveCheckpoint(Path.Combine(dirB, "checkpoint"));

            var resumed = TinySetup.Model(tok, seed: 99); // different weights: everything must come from the checkpoint
            var t2 = new RebelTrainer(resumed, tok, prompts, new LetterReward(), opts, dirB);
            t2.LoadCheckpoint(Path.Combine(dirB, "checkpoint"));
            Assert.Equal(2, t2.Iteration);
            t2.Train();

            foreach (var (name, p) in full.NamedParameters)
                Assert.True(p.Span.SequenceEqual(resumed.NamedParameters[name].Span), $"parameter {name} differs after resume");
            var rowsA = File.ReadAllLines(Path.Combine(dirA, "metrics.jsonl"));
            var rowsB = File.ReadAllLines(Path.Combine(dirB, "metrics.jsonl"));
            Assert.Equal(4, rowsB.Length);
            for (int i = 0; i < 4; i++)
                Assert.Equal(Strip(rowsA[i]), Strip(rowsB[i]));
        }
        finally
        {
            Directory.Delete(dirA, true);
            Directory.Delete(dirB, true);
        }
    }

    [Fact]
    public void Bf16Reference_IsTheRoundedPolicy_AndSurvivesACheckpoint()
    {
        var tok = TinySetup.Tokenizer();
        var prompts = TinySetup.Prompts(8);
        var opts = TinyOptions(1) with { KlCoefficient = 0.05f };
        var exact = new RebelTrainer(TinySetup.Model(tok), tok, prompts, new LetterReward(), opts);
        exact.Train();
        double exactKl = exact.Metrics.Rows[0]["objective/kl"];
        Assert.True(Math.Abs(exactKl) < 1e-5, $"KL to an exact copy was {exactKl}"); // π_ref is π_t before the first update
        var dir = Directory.CreateTempSubdirectory("rebel-bf16").FullName;
        try
        {
            var half = new RebelTrainer(TinySetup.Model(tok), tok, prompts, new LetterReward(), opts with { ReferenceInBf16 = true });
            half.Train();
            double kl = half.Metrics.Rows[0]["objective/kl"];
            Assert.True(Math.Abs(kl) > 1e-5 && Math.Abs(kl) < 0.05, $"KL to the bf16-rounded copy of the policy was {kl}");
            half.SaveCheckpoint(dir);
            var resumed = new RebelTrainer(TinySetup.Model(tok, seed: 99), tok, prompts, new LetterReward(), opts with { ReferenceInBf16 = true });
            resumed.LoadCheckpoint(dir);
            Assert.Equal(1, resumed.Iteration);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    // Drops timing fields, which differ between runs.
    private static string Strip(string line) =>
        System.Text.RegularExpressions.Regex.Replace(line, "\"time/[^\"]+\":[^,}]+,?", "");
}
