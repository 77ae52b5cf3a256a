using Rebel.Training.Rewards;

namespace Rebel.Training.Tests;

public class WeightedRewardTests
{
    private static List<RewardQuery> Queries(params string[] completions) =>
        [.. completions.Select((c, i) => new RewardQuery(TinySetup.Prompts(1)[0], c, EndedWithEos: true))];

    [Fact]
    public void ScoreIsTheWeightedSum_AndEachPartIsKept()
    {
        // Prompt 0 answers "0"; length scores characters / 100. "0": exact 1, length 0.01 → 1·1 + 0.5·0.01 = 1.005;
        // "abc": exact 0, length 0.03 → 0.015; "1": exact 0, length 0.01 → 0.005.
        using var spec = RewardSpec.Parse(["exact", "length"], [1f, 0.5f]);
        var weighted = Assert.IsType<WeightedReward>(spec.Reward);
        var (total, parts) = weighted.ScoreParts(Queries("0", "abc", "1"));
        Assert.Equal(1.005f, total[0], 6);
        Assert.Equal(0.015f, total[1], 6);
        Assert.Equal(0.005f, total[2], 6);
        Assert.Equal([1f, 0f, 0f], parts[0]);
        Assert.Equal([0.01f, 0.03f, 0.01f], parts[1]);
        Assert.Equal("1·exact + 0.5·length", spec.Text);
    }

    [Fact]
    public void WeightsMustMatchTheRewards()
    {
        var e = Assert.Throws<ArgumentException>(() => RewardSpec.Parse(["exact", "length"], [1f]));
        Assert.Contains("--reward-weights", e.Message);
    }

    [Fact]
    public void OneRewardWithoutWeightsIsThatReward() =>
        Assert.IsType<ExactReward>(RewardSpec.Parse(["exact"], null).Reward);

    [Fact]
    public void TrainerLogsEachRewardUnderItsOwnName()
    {
        var tok = TinySetup.Tokenizer();
        var reward = new WeightedReward([new TinySetup.LetterReward(), new LengthReward()], [1f, 0.01f]);
        var trainer = new RebelTrainer(TinySetup.Model(tok), tok, TinySetup.Prompts(4), reward,
            new RebelOptions { Iterations = 1, PromptsPerIteration = 4, MaxNewTokens = 4, KlCoefficient = 0, Seed = 5 });
        var m = trainer.RunIteration().Metrics;
        // objective/scores is the weighted sum of the two logged means (no EOS rule in force).
        Assert.Equal(m["rewards/letter-a/mean"] + 0.01 * m["rewards/length/mean"], m["objective/scores"], 5);
        Assert.True(m["rewards/length/mean"] > 0);
    }
}
