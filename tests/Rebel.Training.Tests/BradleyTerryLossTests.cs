using Rebel.Tensors;
using Rebel.Training.Losses;

namespace Rebel.Training.Tests;

public class BradleyTerryLossTests
{
    [Fact]
    public void LossAndGradientMatchHandComputedNumbers()
    {
        // z = s_w − s_l = [2, 0, −2]
        // −ln σ(2) = ln(1 + e^−2) = 0.1269280110; −ln σ(0) = ln 2 = 0.6931471806; −ln σ(−2) = ln(1 + e^2) = 2.1269280110
        // mean = 2.9470032026 / 3 = 0.9823344009
        var chosen = Tensor.Parameter([2f, 0f, -1f], [3]);
        var rejected = Tensor.Parameter([0f, 0f, 1f], [3]);
        var loss = BradleyTerryLoss.Compute(chosen, rejected);
        Assert.Equal(0.9823344009, loss.Item(), 5);
        loss.Backward();
        // ∂L/∂s_w = −σ(−z)/3: σ(−2) = 0.1192029220, σ(0) = 0.5, σ(2) = 0.8807970780; ∂L/∂s_l is the negative.
        double[] want = [-0.1192029220 / 3, -0.5 / 3, -0.8807970780 / 3];
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(want[i], chosen.Grad![i], 5);
            Assert.Equal(-want[i], rejected.Grad![i], 5);
            Assert.True(chosen.Grad![i] < 0, "raising the chosen score must lower the loss");
        }
    }

    [Fact]
    public void LargeMarginsStayFinite()
    {
        var chosen = Tensor.Parameter([100f, -100f], [2]);
        var loss = BradleyTerryLoss.Compute(chosen, Tensor.Parameter([0f, 0f], [2]));
        // −ln σ(100) ≈ 0 and −ln σ(−100) ≈ 100 → mean 50; slopes −σ(−z)/2 ≈ 0 and −1/2.
        Assert.Equal(50.0, loss.Item(), 3);
        loss.Backward();
        Assert.Equal(0.0, chosen.Grad![0], 6);
        Assert.Equal(-0.5, chosen.Grad![1], 6);
    }

    [Fact]
    public void AccuracyCountsStrictWins()
    {
        Assert.Equal(0.5, BradleyTerryLoss.Accuracy([1f, 0f, 2f, -1f], [0f, 0f, 3f, -2f]));
        Assert.Throws<ArgumentException>(() => BradleyTerryLoss.Compute(Tensor.Parameter([1f], [1]), Tensor.Parameter([1f, 2f], [2])));
    }
}
