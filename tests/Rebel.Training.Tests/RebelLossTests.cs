using Rebel.Tensors;
using Rebel.Tensors.Optim;
using Rebel.Training.Losses;

namespace Rebel.Training.Tests;

public class RebelLossTests
{
    [Fact]
    public void LossMatchesHandComputedNumbers()
    {
        // The authors' scale: residual Δlogratio − η·target.
        // Pair 1: Δlogratio = (−1.0 − −1.5) − (−2.0 − −1.0) = 0.5 + 1.0 = 1.5; η·target = 0.5·(1 − 0) = 0.5 → residual 1.0
        // Pair 2: Δlogratio = (−3.0 − −3.0) − (−0.5 − −1.0) = −0.5; η·target = 0.5·(0.25 − 0.75) = −0.25 → residual −0.25
        // loss = (1.0² + 0.25²) / 2 = 0.53125 (the paper's form, ((1/η)·Δlogratio − target)², would give η⁻² times it: 2.125)
        var y = Tensor.Parameter([-1.0f, -3.0f], [2]);
        var other = Tensor.Parameter([-2.0f, -0.5f], [2]);
        var loss = RebelLoss.Compute(y, other, [-1.5f, -3.0f], [-1.0f, -1.0f], [1f - 0f, 0.25f - 0.75f], eta: 0.5f);
        Assert.Equal(0.53125f, loss.Item(), 5);
        loss.Backward();
        // ∂/∂y_i = (2/P)·residual_i → pair 1: 2/2·1.0 = 1.0; pair 2: 2/2·(−0.25) = −0.25; y' gets the negatives.
        Assert.Equal(1.0f, y.Grad![0], 5);
        Assert.Equal(-0.25f, y.Grad![1], 5);
        Assert.Equal(-1.0f, other.Grad![0], 5);
        Assert.Equal(0.25f, other.Grad![1], 5);
    }

    [Fact]
    public void LargeEtaKeepsGradientsAtTheAuthorsScale()
    {
        // η = 1e6 (the authors' large-batch setting): Δlogratio 0.5, target 1e-6 → residual 0.5 − 1 = −0.5, loss 0.25, ∂/∂y = −1.
        // The paper's form would give ∂/∂y = 2·(0.5e-6 − 1e-6)·1e-6 = −1e-12, far under AdamW's ε.
        var y = Tensor.Parameter([0.5f], [1]);
        var other = Tensor.Parameter([0f], [1]);
        var loss = RebelLoss.Compute(y, other, [0f], [0f], [1e-6f], eta: 1e6f);
        Assert.Equal(0.25f, loss.Item(), 4);
        loss.Backward();
        Assert.Equal(-1.0f, y.Grad![0], 4);
        Assert.Equal(1.0f, other.Grad![0], 4);
    }

    [Fact]
    public void ZeroResidualWhenLogRatiosMatchScaledRewards()
    {
        var y = Tensor.Parameter([0.3f], [1]);
        var other = Tensor.Parameter([0.1f], [1]);
        // Δlogratio = 0.3 − 0.1 = 0.2, η = 2 → 0.1 = target
        var loss = RebelLoss.Compute(y, other, [0f], [0f], [0.1f], eta: 2f);
        Assert.Equal(0f, loss.Item(), 6);
    }

    [Theory]
    [InlineData(1.0f, 1.0f)]
    [InlineData(0.3f, 1.0f)]
    [InlineData(1e6f, 1e-6f)] // the authors' large-batch η with rewards of size 1/η: trains only at the authors' scale (gradients ~1e-12 in the paper's form)
    public void TabularExactMinimiserIsMirrorDescentStep(float eta, float rewardScale)
    {
        // A softmax policy over K actions; minimising the REBEL loss over all pairs exactly gives π_{t+1} ∝ π_t·exp(η·r).
        const int k = 5;
        float[] rewards = [.. new[] { 1.0f, -0.5f, 0.25f, 2.0f, 0.0f }.Select(r => r * rewardScale)];
        float[] logitsT = [0.2f, -0.1f, 0.5f, -0.3f, 0.0f];
        var logPiT = LogSoftmax(logitsT);
        var theta = Tensor.Parameter((float[])logitsT.Clone(), [k]);
        var opt = new AdamW([theta], learningRate: 0.05f, weightDecay: 0f);
        var pairsY = new List<int>();
        var pairsOther = new List<int>();
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
                if (a != b) { pairsY.Add(a); pairsOther.Add(b); }
        float[] oldY = [.. pairsY.Select(a => logPiT[a])], oldOther = [.. pairsOther.Select(b => logPiT[b])];
        float[] target = [.. pairsY.Select((a, i) => rewards[a] - rewards[pairsOther[i]])];
        for (int step = 0; step < 3000; step++)
        {
            using var scope = new TensorScope();
            var logPi = Ops.LogSoftmax(theta);
            var y = Ops.Reshape(Ops.IndexSelect(Ops.Reshape(logPi, k, 1), [.. pairsY]), pairsY.Count);
            var other = Ops.Reshape(Ops.IndexSelect(Ops.Reshape(logPi, k, 1), [.. pairsOther]), pairsOther.Count);
            var loss = RebelLoss.Compute(y, other, oldY, oldOther, target, eta);
            loss.Backward();
            opt.LearningRate = step < 2000 ? 0.05f : 0.005f;
            opt.Step();
            opt.ZeroGrad();
        }
        var got = LogSoftmax(theta.ToArray()).Select(MathF.Exp).ToArray();
        var unnorm = logPiT.Select((l, a) => Math.Exp(l + (double)eta * rewards[a])).ToArray();
        double z = unnorm.Sum();
        for (int a = 0; a < k; a++) Assert.True(Math.Abs(got[a] - unnorm[a] / z) < 1e-3, $"action {a}: {got[a]} vs {unnorm[a] / z}");
    }

    [Theory]
    [InlineData(2, 1.0f)]
    [InlineData(4, 0.5f)]
    [InlineData(8, 2.0f)]
    public void GroupedLossEqualsTheMeanOverEveryPair(int n, float eta)
    {
        // Three groups of n completions; the grouped form must give the all-pairs loss and the same gradient per completion.
        const int groups = 3;
        var rng = new Rng(7);
        float[] logp = [.. Enumerable.Range(0, groups * n).Select(_ => -3f * rng.NextFloat())];
        float[] old = [.. Enumerable.Range(0, groups * n).Select(_ => -3f * rng.NextFloat())];
        float[] reward = [.. Enumerable.Range(0, groups * n).Select(_ => rng.NextFloat() < 0.5f ? 1f : 0f)];
        var (yIdx, otherIdx) = (new List<int>(), new List<int>());
        for (int g = 0; g < groups; g++)
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++) { yIdx.Add(g * n + i); otherIdx.Add(g * n + j); }

        var pairwise = Tensor.Parameter((float[])logp.Clone(), [groups * n]);
        var column = Ops.Reshape(pairwise, groups * n, 1);
        var y = Ops.Reshape(Ops.IndexSelect(column, [.. yIdx]), yIdx.Count);
        var other = Ops.Reshape(Ops.IndexSelect(column, [.. otherIdx]), otherIdx.Count);
        var expected = RebelLoss.Compute(y, other, [.. yIdx.Select(k => old[k])], [.. otherIdx.Select(k => old[k])],
            [.. yIdx.Select((k, i) => reward[k] - reward[otherIdx[i]])], eta);
        expected.Backward();

        var grouped = Tensor.Parameter((float[])logp.Clone(), [groups * n]);
        var (loss, centred) = RebelLoss.Grouped(grouped, old, reward, n, eta);
        loss.Backward();

        Assert.True(expected.Item() > 1e-3f, "the test needs a non-trivial loss");
        Assert.Equal(expected.Item(), loss.Item(), 4);
        Assert.Equal([groups, n], centred.Shape);
        for (int k = 0; k < groups * n; k++) Assert.Equal(pairwise.Grad![k], grouped.Grad![k], 4);
    }

    [Fact]
    public void GroupedLossRejectsRaggedGroups() =>
        Assert.Throws<ArgumentException>(() => RebelLoss.Grouped(Tensor.Parameter(new float[5], [5]), new float[5], new float[5], 2, 1f));

    private static float[] LogSoftmax(float[] x)
    {
        var y = new float[x.Length];
        Ops.LogSoftmaxRow(x, y);
        return y;
    }
}
