using Rebel.Models.Sampling;
using Rebel.Training.Rollouts;

namespace Rebel.Training.Tests;

public class MissingEosTests
{
    private static RolloutSettings Settings(float? noEosScore, float penalty) => new(2, new SamplingOptions(), 0f, noEosScore, penalty);

    [Fact]
    public void ReplaceOrSubtract_OnlyWithoutEos()
    {
        // The authors' convention replaces the score; TRL's subtracts a penalty from it; a completion with EOS keeps its score.
        Assert.Equal(-1f, Settings(-1f, 0f).ScoreOf(0.7f, endedWithEos: false));
        Assert.Equal(0.7f, Settings(-1f, 0f).ScoreOf(0.7f, endedWithEos: true));
        Assert.Equal(-0.3f, Settings(null, 1f).ScoreOf(0.7f, endedWithEos: false), 6);
        Assert.Equal(0.7f, Settings(null, 1f).ScoreOf(0.7f, endedWithEos: true));
        Assert.Equal(0.7f, Settings(null, 0f).ScoreOf(0.7f, endedWithEos: false));
    }

    [Fact]
    public void BothConventionsAtOnceAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new RebelOptions { NoEosScore = -1f, MissingEosPenalty = 1f }.Validate());
        Assert.Contains("--missing-eos-penalty", e.Message);
    }
}
