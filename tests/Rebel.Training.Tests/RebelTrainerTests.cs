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

    internal static RebelOptions TinyOptions(int iterations) => new()
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
    public void TrainsAtTheAuthorsLargeEta()
    {
        // η = 1e6 (the authors' large offline batches): the regression target η·Δr is huge, but the gradients are at the authors'
        // scale (clipped to the gradient-norm limit), not 1e-12 of it as in the paper's form, so the reward still rises.
        var tok = TinySetup.Tokenizer();
        var trainer = new RebelTrainer(TinySetup.Model(tok), tok, TinySetup.Prompts(16), new LetterReward(), TinyOptions(30) with { Eta = 1e6f });
        trainer.Train();
        var (first, last) = TinySetup.ScoreTrend(trainer.Metrics);
        Assert.True(last > first + 0.1, $"mean reward went from {first:F3} to {last:F3}");
        Assert.True(trainer.Metrics.Rows[0]["grad_norm"] > 1, $"gradient norm {trainer.Metrics.Rows[0]["grad_norm"]} at η = 1e6");
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
}
