using Rebel.Models;
using Rebel.Tensors;
using Rebel.Training.Losses;
using Rebel.Training.Rewards;

namespace Rebel.Training.Tests;

public class PpoOptionsTests
{
    [Fact]
    public void K3AndK1TokenRewards()
    {
        // old [−1, −2], ref [−1.5, −2], β = 0.1, score 1: d = ref − old = [−0.5, 0].
        // k1: −β·(−d) = [−0.05, 0] (+1 at the end); k3: −β·(e^{−0.5} − 1 + 0.5) = −0.01065307, and 0 where d = 0.
        var r = new float[2];
        Gae.TokenRewards(1f, [-1f, -2f], [-1.5f, -2f], 0.1f, r, KlEstimator.K1);
        Assert.Equal(-0.05f, r[0], 6);
        Assert.Equal(1f, r[1], 6);
        Gae.TokenRewards(1f, [-1f, -2f], [-1.5f, -2f], 0.1f, r, KlEstimator.K3);
        Assert.Equal(-0.01065307f, r[0], 6);
        Assert.Equal(1f, r[1], 6);
    }

    [Fact]
    public void RewardWhiteningKeepsTheMean()
    {
        // [[1, 3], [5]]: mean 3, population std √(8/3) = 1.632993 → (x − 3)/1.632993 + 3 = [1.775255, 3, 4.224745].
        float[][] x = [[1f, 3f], [5f]];
        PpoTrainer.WhitenAll(x, shiftMean: false);
        Assert.Equal(1.775255f, x[0][0], 4);
        Assert.Equal(3f, x[0][1], 5);
        Assert.Equal(4.224745f, x[1][0], 4);
    }

    [Fact]
    public void CriticStartsFromTheRewardModel()
    {
        // The default critic's value head starts at zero, so its first values are exactly 0; a critic copied from a reward model
        // with a non-zero head values the same completions at its head's output.
        var tok = TinySetup.Tokenizer();
        var rmBody = TinySetup.Model(tok, seed: 7);
        var head = new ValueHead(rmBody.Config.HiddenSize, ValueHead.VHeadPrefix, bias: true);
        head.Initialize(new Rng(8), std: 0.5f);
        head.Bias!.Span[0] = 2f;
        var rm = new RewardModelReward(rmBody, head, tok, "tiny-rm");
        var options = PpoTrainerTests.TinyOptions(1) with { PromptsPerIteration = 4, LearningRate = 0f };
        double Value(PpoOptions o) => new PpoTrainer(TinySetup.Model(tok), tok, TinySetup.Prompts(4), rm, o).RunIteration().Metrics["val/value_mean"];
        Assert.Equal(0, Value(options));
        Assert.True(Math.Abs(Value(options with { CriticFromRewardModel = true })) > 0.1);
        var e = Assert.Throws<ArgumentException>(() => new PpoTrainer(TinySetup.Model(tok), tok, TinySetup.Prompts(4), new TinySetup.LetterReward(),
            options with { CriticFromRewardModel = true }));
        Assert.Contains("rm:", e.Message);
    }
}
