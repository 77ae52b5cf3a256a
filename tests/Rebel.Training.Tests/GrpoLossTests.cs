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
        var loss = GrpoLoss.Compute(lp, [-1f, -2f], [-1.5f, -2f], [2f], [1f, 1f], 0.2f, 0.1f);
        Assert.Equal(-1.9946735f, loss.Item(), 5);
        loss.Backward();
        Assert.Equal(-0.980327f, lp.Grad![0], 5);
        Assert.Equal(-1f, lp.Grad![1], 5);
    }
}
