using Rebel.Tensors;
using Rebel.Training.Losses;

namespace Rebel.Training.Tests;

public class GrpoLossTests
{
    [Fact]
    public void GroupNormalisedAdvantages()
    {
        // Group [1, 2, 3]: mean 2, sample std 1 → [−1, 0, 1] (ε = 0); group [5, 5, 5]: std 0 → zeros.
        var adv = new float[6];
        GrpoLoss.Advantages([1f, 2f, 3f, 5f, 5f, 5f], 3, adv, epsilon: 1e-12f);
        Assert.Equal([-1f, 0f, 1f, 0f, 0f, 0f], adv.Select(a => MathF.Round(a, 5)));
    }

    [Fact]
    public void K3KlMatchesItsFormula()
    {
        // ln π_θ = −1, ln π_ref = −1.5 → d = −0.5: e^{−0.5} + 0.5 − 1 = 0.10653; equal log-probs give 0.
        var lp = Tensor.Parameter([-1f, -2f], [1, 2]);
        var kl = GrpoLoss.KlK3(lp, [-1.5f, -2f]);
        Assert.Equal(MathF.Exp(-0.5f) - 0.5f, kl.Span[0], 5);
        Assert.Equal(0f, kl.Span[1], 6);
    }

    [Fact]
    public void LossCombinesSurrogateAndKl()
    {
        // One sequence, two tokens, ρ = 1 (θ = old), A = 2, β = 0.1, ref − θ = [−0.5, 0]:
        // per token: [2 − 0.1·0.10653, 2 − 0] → loss = −mean = −(3.989347/2) = −1.9946735.
        // ∂/∂lnπ_t = −(ρA − β·(1 − e^{d}))/2 → t0: −(2 − 0.1·(1 − 0.60653))/2 = −0.980327; t1: −1.
        var lp = Tensor.Parameter([-1f, -2f], [1, 2]);
        var loss = GrpoLoss.MaskedSum(GrpoLoss.PerToken(lp, [-1f, -2f], [-1.5f, -2f], [2f], 0.2f, 0.2f, 0.1f), [1f, 1f], 2f);
        Assert.Equal(-1.9946735f, loss.Item(), 5);
        loss.Backward();
        Assert.Equal(-0.980327f, lp.Grad![0], 5);
        Assert.Equal(-1f, lp.Grad![1], 5);
    }

    // Two sequences of T = 3, the first with 2 response tokens, the second with 3; θ = old (ρ = 1), β = 0, A = [1, −2]:
    // per-token losses −A: [−1, −1 | 2, 2, 2], masked sum −2 + 6 = 4 over 5 tokens.
    private static (Tensor LogProbs, Tensor PerToken) TwoSequences()
    {
        var lp = Tensor.Parameter([-1f, -1f, 0f, -2f, -1f, -3f], [2, 3]);
        return (lp, GrpoLoss.PerToken(lp, [-1f, -1f, 0f, -2f, -1f, -3f], [], [1f, -2f], 0.2f, 0.2f, beta: 0f));
    }

    private static readonly float[] Mask = [1f, 1f, 0f, 1f, 1f, 1f];

    [Fact]
    public void LossType_Grpo_AveragesEachSequenceThenTheSequences()
    {
        // (−2/2 + 6/3)/2 = 0.5; ∂/∂lnπ = −ρ·A/(len·N): first −1/4, second 2/6
        var (lp, perToken) = TwoSequences();
        var loss = GrpoLoss.SequenceMean(perToken, Mask);
        Assert.Equal(0.5f, loss.Item(), 5);
        loss.Backward();
        Assert.Equal([-0.25f, -0.25f, 0f, 1f / 3, 1f / 3, 1f / 3], lp.Grad!.Select(g => MathF.Round(g, 5)).ToArray(), new RoundedComparer());
    }

    [Theory]
    [InlineData(5f, 0.8f)]    // bnpo, and dapo in one process: the minibatch's 5 tokens
    [InlineData(10f, 0.4f)]   // dr_grpo: N × max new tokens = 2 × 5
    public void LossType_TokenSums_DivideByTheirNormaliser(float denominator, float expected)
    {
        var (lp, perToken) = TwoSequences();
        var loss = GrpoLoss.MaskedSum(perToken, Mask, denominator);
        Assert.Equal(expected, loss.Item(), 5);
        loss.Backward();
        Assert.Equal(-1f / denominator, lp.Grad![0], 5);
        Assert.Equal(0f, lp.Grad![2], 6);
        Assert.Equal(2f / denominator, lp.Grad![5], 5);
    }

    [Theory]
    [InlineData(0.2f, -1.2f, 0f)]      // ρ = 1.25 above 1 + ε: clipped, no gradient
    [InlineData(0.28f, -1.25f, -1.25f)] // clip-higher ε_high = 0.28: inside, ∂ℓ/∂lnπ = −ρ·A
    public void EpsilonHighRaisesOnlyTheUpperClip(float epsilonHigh, float expectedLoss, float expectedGrad)
    {
        var lp = Tensor.Parameter([MathF.Log(1.25f)], [1, 1]);
        var loss = GrpoLoss.MaskedSum(GrpoLoss.PerToken(lp, [0f], [], [1f], 0.2f, epsilonHigh, 0f), [1f], 1f);
        Assert.Equal(expectedLoss, loss.Item(), 5);
        loss.Backward();
        Assert.Equal(expectedGrad, lp.Grad![0], 5);
        // The lower edge stays at 1 − ε: ρ = 0.7 with A = −1 is clipped to 0.8 whatever ε_high.
        var low = Tensor.Parameter([MathF.Log(0.7f)], [1, 1]);
        var lowLoss = GrpoLoss.MaskedSum(GrpoLoss.PerToken(low, [0f], [], [-1f], 0.2f, epsilonHigh, 0f), [1f], 1f);
        Assert.Equal(0.8f, lowLoss.Item(), 5);
        lowLoss.Backward();
        Assert.Equal(0f, low.Grad![0], 6);
    }

    [Fact]
    public void RewardScaling_GroupBatchOrNone()
    {
        // Groups [1, 2, 3] (mean 2, std 1) and [5, 5, 8] (mean 6, std √3); all six: mean 4, Σ(r − 4)² = 32, std √(32/5) = 2.529822.
        float[] r = [1f, 2f, 3f, 5f, 5f, 8f];
        float[] centred = [-1f, 0f, 1f, -1f, -1f, 2f];
        var adv = new float[6];
        GrpoLoss.Advantages(r, 3, adv, RewardScaling.None);
        Assert.Equal(centred, adv);
        GrpoLoss.Advantages(r, 3, adv, RewardScaling.Batch, epsilon: 0f);
        for (int i = 0; i < 6; i++) Assert.Equal(centred[i] / 2.529822f, adv[i], 5);
        GrpoLoss.Advantages(r, 3, adv, RewardScaling.Group, epsilon: 0f);
        Assert.Equal(-1f, adv[0], 5);
        Assert.Equal(2f / MathF.Sqrt(3f), adv[5], 5);
    }

    private sealed class RoundedComparer : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) < 1e-5f;

        public int GetHashCode(float obj) => 0;
    }
}
