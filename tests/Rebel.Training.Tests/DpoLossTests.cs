using Rebel.Tensors;
using Rebel.Training.Losses;

namespace Rebel.Training.Tests;

public class DpoLossTests
{
    [Fact]
    public void SigmoidLossMatchesHandComputation()
    {
        // z = β·[(−1 − −2) − (−3 − −2)] = 0.5·2 = 1 → loss = −log σ(1) = log(1 + e^{−1}) = 0.3132617
        var chosen = Tensor.Parameter([-1f], [1]);
        var rejected = Tensor.Parameter([-3f], [1]);
        var loss = DpoLoss.Compute(chosen, rejected, [-2f], [-2f], 0.5f);
        Assert.Equal(0.3132617f, loss.Item(), 5);
        loss.Backward();
        // ∂L/∂lnπ(y_w) = −β·σ(−z) = −0.5·0.2689414 < 0 (raise the chosen), ∂L/∂lnπ(y_l) = +0.1344707 (lower the rejected)
        Assert.Equal(-0.1344707f, chosen.Grad![0], 5);
        Assert.Equal(0.1344707f, rejected.Grad![0], 5);
    }

    [Fact]
    public void AtTheReferenceTheLossIsLogTwo()
    {
        var loss = DpoLoss.Compute(Tensor.Parameter([-4f, -1f], [2]), Tensor.Parameter([-2f, -7f], [2]), [-4f, -1f], [-2f, -7f], 0.1f);
        Assert.Equal(MathF.Log(2f), loss.Item(), 5);
    }

    [Fact]
    public void AFarWrongMarginGivesAFiniteLossAndFullGradient()
    {
        // z = 1·[(−400 − 0) − (0 − 0)] = −400: σ(z) underflows in float, but −log σ(z) = 400 and ∂L/∂lnπ(y_w) = −β·σ(−z) = −1.
        var chosen = Tensor.Parameter([-400f], [1]);
        var rejected = Tensor.Parameter([0f], [1]);
        var loss = DpoLoss.Compute(chosen, rejected, [0f], [0f], 1f);
        Assert.Equal(400f, loss.Item(), 3);
        loss.Backward();
        Assert.Equal(-1f, chosen.Grad![0], 5);
        Assert.Equal(1f, rejected.Grad![0], 5);
    }
}
