// The chunked vocabulary head (Ops.ChunkedGatherLogProbs) against the unchunked head + GatherLogProbs: values, gradients of
// the hidden states and of the head weight, and per-row entropies.
namespace Rebel.Tensors.Tests;

public class ChunkedHeadTests
{
    [Theory]
    [InlineData(1, 1f)]
    [InlineData(3, 0.7f)]
    [InlineData(64, 1.3f)]
    public void ChunkedLogProbsAndGradients_EqualTheUnchunkedOnes(int chunkRows, float temperature)
    {
        const int rows = 13, c = 6, v = 37;
        var rng = new Rng(11);
        var h0 = new float[rows * c]; rng.FillNormal(h0, 0f, 1f);
        var w0 = new float[v * c]; rng.FillNormal(w0, 0f, 0.5f);
        var b0 = new float[v]; rng.FillNormal(b0, 0f, 0.1f);
        var targets = new int[rows];
        for (int r = 0; r < rows; r++) targets[r] = r % 4 == 1 ? -100 : rng.NextInt(v);
        var g0 = new float[rows]; rng.FillNormal(g0, 0f, 1f); // an upstream gradient that is not all ones

        var (lpA, ghA, gwA, gbA, entA) = Run(h0, w0, b0, targets, temperature, g0, chunkRows);
        var (lpB, ghB, gwB, gbB, entB) = Run(h0, w0, b0, targets, temperature, g0, chunkRows: 0);
        AssertClose(lpB, lpA, "log-probs");
        AssertClose(ghB, ghA, "hidden gradient");
        AssertClose(gwB, gwA, "weight gradient");
        AssertClose(gbB, gbA, "bias gradient");
        AssertClose(entB, entA, "entropy");
        for (int r = 0; r < rows; r++)
        {
            if (targets[r] != -100) continue;
            Assert.Equal(0f, lpA[r]);
            Assert.Equal(0f, entA[r]);
            for (int i = 0; i < c; i++) Assert.Equal(0f, ghA[r * c + i]);
        }
    }

    // chunkRows 0: the unchunked composite (Linear, then GatherLogProbs; entropy from LogSoftmax).
    private static (float[] Lp, float[] Gh, float[] Gw, float[] Gb, float[] Entropy) Run(float[] h0, float[] w0, float[] b0, int[] targets,
        float temperature, float[] g0, int chunkRows)
    {
        int rows = targets.Length, c = h0.Length / rows, v = b0.Length;
        var leaf = Tensor.Parameter((float[])h0.Clone(), [rows, c], "h");
        var w = Tensor.Parameter((float[])w0.Clone(), [v, c], "w");
        var b = Tensor.Parameter((float[])b0.Clone(), [v], "b");
        var entropy = new float[rows];
        using var scope = new TensorScope();
        var hidden = Ops.Mul(leaf, 1f); // (rows, C), an op result as a model's final hidden states are
        Tensor lp;
        if (chunkRows > 0)
        {
            lp = Ops.ChunkedGatherLogProbs(hidden, x => Ops.Linear(x, w, b), targets, temperature, chunkRows, -100, entropy);
        }
        else
        {
            var logits = Ops.Linear(hidden, w, b); // (rows, V)
            lp = Ops.GatherLogProbs(logits, targets, temperature);
            using (Autograd.NoGrad())
            {
                var logp = Ops.LogSoftmax(Ops.Mul(logits, 1f / temperature)).ToArray();
                for (int r = 0; r < rows; r++)
                {
                    if (targets[r] == -100) continue;
                    double e = 0;
                    for (int k = 0; k < v; k++) e -= Math.Exp(logp[r * v + k]) * logp[r * v + k];
                    entropy[r] = (float)e;
                }
            }
        }
        var values = lp.ToArray();
        Ops.Sum(Ops.Mul(lp, Tensor.FromArray((float[])g0.Clone(), rows))).Backward();
        return (values, leaf.Grad!.ToArray(), w.Grad!.ToArray(), b.Grad!.ToArray(), entropy);
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-5f + 1e-5f * MathF.Abs(expected[i]), $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }
}
