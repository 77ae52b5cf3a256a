// Token losses: cross-entropy (with ignore index) and per-token log-probs (with temperature) against −log softmax
// computed directly in double, and their gradients against finite differences.
using Rebel.Tensors;

namespace Rebel.Tensors.Tests;

public class LossGradTests
{
    private const int V = 6;

    private static double LogSoftmaxAt(ReadOnlySpan<float> row, int target, double temperature)
    {
        double max = double.NegativeInfinity;
        foreach (var x in row) max = Math.Max(max, x / temperature);
        double z = 0;
        foreach (var x in row) z += Math.Exp(x / temperature - max);
        return row[target] / temperature - max - Math.Log(z);
    }

    [Fact]
    public void CrossEntropyWithIgnoreIndex()
    {
        var logits = GradCheck.Param(1, 2f, 2, 3, V);
        int[] targets = [1, -100, 5, 0, -100, 3];
        var loss = Ops.CrossEntropy(logits, targets);
        Assert.Empty(loss.Shape);
        double sum = 0;
        int count = 0;
        for (int r = 0; r < 6; r++)
        {
            if (targets[r] == -100) continue;
            sum -= LogSoftmaxAt(logits.Span.Slice(r * V, V), targets[r], 1);
            count++;
        }
        Assert.Equal(sum / count, loss.Item(), 5);
        GradCheck.Check("cross_entropy", t => Ops.CrossEntropy(t[0], targets), [logits]);
        // Ignored rows get exactly zero gradient.
        logits.ZeroGrad();
        Ops.CrossEntropy(logits, targets).Backward();
        Assert.All(logits.Grad!.AsSpan(V, V).ToArray(), g => Assert.Equal(0f, g));
        Assert.All(logits.Grad!.AsSpan(4 * V, V).ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void CrossEntropyCustomIgnoreIndexAndAllIgnored()
    {
        var logits = GradCheck.Param(2, 1f, 3, V);
        int[] targets = [2, 0, 4];
        var loss = Ops.CrossEntropy(logits, targets, ignoreIndex: 0);
        double expected = -(LogSoftmaxAt(logits.Span[..V], 2, 1) + LogSoftmaxAt(logits.Span.Slice(2 * V, V), 4, 1)) / 2;
        Assert.Equal(expected, loss.Item(), 5);
        Assert.Equal(0f, Ops.CrossEntropy(logits, [-100, -100, -100]).Item());
        GradCheck.Check("cross_entropy ignore 0", t => Ops.CrossEntropy(t[0], targets, ignoreIndex: 0), [logits]);
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(0.7f)]
    [InlineData(1.6f)]
    public void GatherLogProbsWithTemperature(float temperature)
    {
        var logits = GradCheck.Param(3, 2f, 2, 3, V);
        int[] targets = [1, 2, 5, -100, 4, 0];
        var y = Ops.GatherLogProbs(logits, targets, temperature);
        Assert.Equal([2, 3], y.Shape);
        var expected = new double[6];
        for (int r = 0; r < 6; r++) expected[r] = targets[r] == -100 ? 0 : LogSoftmaxAt(logits.Span.Slice(r * V, V), targets[r], temperature);
        GradCheck.AssertClose("gather_log_probs", expected, y.Span, 2e-6);
        GradCheck.Check($"gather_log_probs τ={temperature}", t => Ops.GatherLogProbs(t[0], targets, temperature), [logits]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    [InlineData(700)]
    public void GatherLogProbsAtLargeVocabularies(int vocab)
    {
        // Against the closed forms in double: ln p_t and ∂/∂xᵢ = g·(δᵢₜ − softmax(x/τ)ᵢ)/τ (finite differences cannot
        // resolve per-element gradients of order 1/V).
        const float temperature = 0.8f;
        var logits = GradCheck.Param(4, 3f, 3, vocab);
        int[] targets = [vocab - 1, 0, vocab / 2];
        float[] weights = [0.5f, -1.5f, 2f];
        var y = Ops.GatherLogProbs(logits, targets, temperature);
        Ops.Sum(Ops.Mul(y, Tensor.FromArray(weights, 3))).Backward();
        var expectedY = new double[3];
        var expectedGrad = new double[3 * vocab];
        for (int r = 0; r < 3; r++)
        {
            var row = logits.Span.Slice(r * vocab, vocab);
            expectedY[r] = LogSoftmaxAt(row, targets[r], temperature);
            double max = double.NegativeInfinity, z = 0;
            foreach (var x in row) max = Math.Max(max, x / temperature);
            foreach (var x in row) z += Math.Exp(x / temperature - max);
            for (int i = 0; i < vocab; i++)
                expectedGrad[r * vocab + i] = weights[r] * ((i == targets[r] ? 1 : 0) - Math.Exp(row[i] / temperature - max) / z) / temperature;
        }
        GradCheck.AssertClose("gather_log_probs", expectedY, y.Span, 2e-6);
        GradCheck.AssertClose("gather_log_probs grad", expectedGrad, logits.Grad, 1e-5);
    }

    [Fact]
    public void TargetOutsideVocabularyIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.CrossEntropy(Tensor.Zeros(2, V), [0, V]));
        Assert.Contains("CrossEntropy", ex.Message);
    }

    [Fact]
    public void CrossEntropyOverRowsSplitAcrossThreadsMatchesDirectSoftmax()
    {
        // 600 rows × 500: forward and backward run on several threads; every 7th row is ignored.
        const int rows = 600, vocab = 500;
        var logits = GradCheck.Param(31, 2f, rows, vocab);
        var targets = new int[rows];
        for (int r = 0; r < rows; r++) targets[r] = r % 7 == 3 ? -100 : (r * 37) % vocab;
        int count = targets.Count(t => t != -100);
        var loss = Ops.CrossEntropy(logits, targets);
        loss.Backward();
        double expected = 0;
        var grad = new double[rows * vocab];
        for (int r = 0; r < rows; r++)
        {
            if (targets[r] == -100) continue;
            var row = logits.Span.Slice(r * vocab, vocab);
            expected -= LogSoftmaxAt(row, targets[r], 1.0) / count;
            double max = double.NegativeInfinity, z = 0;
            foreach (float x in row) max = Math.Max(max, x);
            foreach (float x in row) z += Math.Exp(x - max);
            for (int i = 0; i < vocab; i++) grad[r * vocab + i] = (Math.Exp(row[i] - max) / z - (i == targets[r] ? 1 : 0)) / count;
        }
        Assert.Equal(expected, loss.Item(), 1e-4);
        GradCheck.AssertClose("cross-entropy gradient", grad, logits.Grad!, 1e-6);
    }
}
