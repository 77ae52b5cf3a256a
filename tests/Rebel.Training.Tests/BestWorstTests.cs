using Rebel.Training.Data;
using Rebel.Training.Rewards;
using Rebel.Training.Rollouts;

namespace Rebel.Training.Tests;

public class BestWorstTests
{
    internal static Rollout Scored(float reward, int group = 0) => new()
    {
        Group = group, Prompt = TinySetup.Prompts(1)[0], PromptIds = [1], Completion = [2], Text = "", OldLogProb = 0, RefLogProb = 0,
        Score = reward, Reward = reward, EndedWithEos = true,
    };

    [Fact]
    public void PicksTheFirstHighestAndTheFirstLowest()
    {
        Rollout[] g = [Scored(0.2f), Scored(0.7f), Scored(0.7f), Scored(0.1f), Scored(0.1f)];
        var pair = BestWorst.Of(g);
        Assert.NotNull(pair);
        Assert.Same(g[1], pair.Value.Best);
        Assert.Same(g[3], pair.Value.Worst);
    }

    [Fact]
    public void TiedCompletionsHaveNoPair()
    {
        // Before: MaxBy and MinBy both returned the first completion, a self-pair with no gradient.
        Assert.Null(BestWorst.Of([Scored(0.5f), Scored(0.5f), Scored(0.5f)]));
        Assert.Null(BestWorst.Of([Scored(0f), Scored(0f)]));
    }

    // Scores queries 0, 1, 2, … in the order asked: the second completion of a prompt always beats the first.
    private sealed class CountingReward : IReward
    {
        private int next;

        public string Name => "counting";

        public float[] Score(IReadOnlyList<RewardQuery> queries) => [.. queries.Select(_ => (float)next++)];
    }

    private sealed class ConstantReward : IReward
    {
        public string Name => "constant";

        public float[] Score(IReadOnlyList<RewardQuery> queries) => new float[queries.Count];
    }

    [Fact]
    public void OnlineDpo_TakesLogProbsFromTheRawLogits_NotTheSamplingTemperature()
    {
        // One prompt, two completions sampled at temperature 0.5, learning rate 0: the logged ln π_θ(chosen) must be the
        // temperature-1 log-prob of the second completion (TRL), which differs from the temperature-0.5 one.
        var tok = TinySetup.Tokenizer();
        var model = TinySetup.Model(tok);
        var options = new OnlineDpoOptions
        {
            Iterations = 1, PromptsPerIteration = 1, CompletionsPerPrompt = 2, MaxNewTokens = 6, Temperature = 0.5f, LearningRate = 0f, Seed = 5,
        };
        var trainer = new OnlineDpoTrainer(model, tok, TinySetup.Prompts(1), new CountingReward(), options);
        var result = trainer.RunIteration();
        var chosen = result.Samples[1];
        float raw = RolloutCollector.LogProbs(model, [chosen.PromptIds], [chosen.Completion], 1f)[0];
        float tempered = RolloutCollector.LogProbs(model, [chosen.PromptIds], [chosen.Completion], 0.5f)[0];
        Assert.True(Math.Abs(raw - tempered) > 1e-2, $"the test needs log-probs that differ with the temperature ({raw} vs {tempered})");
        Assert.Equal(raw, result.Metrics["logps/chosen"], 3);
        Assert.Equal(Math.Log(2), result.Metrics["loss/policy_avg"], 4); // π_θ = π_ref: margin 0, −ln σ(0)
        Assert.Equal(0, result.Metrics["online_dpo/tied_fraction"]);
    }

    [Fact]
    public void TiedPromptsAreSkipped_ByOnlineDpoAndRebel()
    {
        var tok = TinySetup.Tokenizer();
        var dpo = new OnlineDpoTrainer(TinySetup.Model(tok), tok, TinySetup.Prompts(4), new ConstantReward(),
            new OnlineDpoOptions { Iterations = 1, PromptsPerIteration = 4, MaxNewTokens = 4, Seed = 5 });
        var d = dpo.RunIteration().Metrics;
        Assert.Equal(1, d["online_dpo/tied_fraction"]);
        Assert.Equal(0, d["loss/policy_avg"]); // no pair, no step's loss (a self-pair would log ln 2)
        var rebel = new RebelTrainer(TinySetup.Model(tok), tok, TinySetup.Prompts(4), new ConstantReward(),
            new RebelOptions { Iterations = 1, PromptsPerIteration = 4, CompletionsPerPrompt = 4, MaxNewTokens = 4, KlCoefficient = 0, Seed = 5 });
        var r = rebel.RunIteration().Metrics;
        Assert.Equal(1, r["rebel/tied_fraction"]);
    }
}
