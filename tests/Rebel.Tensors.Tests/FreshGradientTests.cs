// Backward functions that assign into a freshly pooled, uncleared gradient buffer (Tensor.GradForWrite) instead of
// adding to zeros: with the pool full of NaN buffers, one use of an op gives the gradient of an unpooled run exactly,
// and two uses give twice it (the second contribution accumulates).
using Rebel.Tensors;

namespace Rebel.Tensors.Tests;

public class FreshGradientTests
{
    private const int Rows = 6, C = 8;

    public static TheoryData<string> OpNames => ["conv1d", "linear", "add", "add_self", "layer_norm", "gelu", "cross_entropy"];

    [Theory]
    [MemberData(nameof(OpNames))]
    public void AssigningBackward_EqualsUnpooledRun_AndAccumulatesASecondUse(string op)
    {
        var p = GradCheck.Param(1, 1f, Rows, C);
        var other = GradCheck.Param(2, 1f, Rows, C);
        var w = GradCheck.Param(3, 0.5f, C, C);
        var bias = GradCheck.Param(4, 0.5f, C);
        var weights = new float[Rows * C];
        new Rng(5).FillNormal(weights);
        var reference = Gradient(op, p, other, w, bias, weights, uses: 1);

        TensorScope.TrimPool();
        using (new TensorScope())
        {
            for (int i = 0; i < 12; i++)
                foreach (int size in new[] { Rows * C, Rows, 1 }) Tensor.Full(float.NaN, size);
        }
        using (new TensorScope())
        {
            Assert.Equal(reference, Gradient(op, p, other, w, bias, weights, uses: 1));
            Assert.Equal(reference.Select(g => 2 * g).ToArray(), Gradient(op, p, other, w, bias, weights, uses: 2));
        }
        TensorScope.TrimPool();
    }

    // d/dp of Σ_uses Σ weights ⊙ op(x) with x = p·1 an intermediate (pooled) tensor.
    private static float[] Gradient(string op, Tensor p, Tensor other, Tensor w, Tensor bias, float[] weights, int uses)
    {
        p.ZeroGrad(); other.ZeroGrad(); w.ZeroGrad(); bias.ZeroGrad();
        var x = Ops.Mul(p, 1f); // (Rows, C)
        var c = Tensor.FromArray(weights, Rows, C);
        int[] targets = [0, 3, -100, 7, 1, 2];
        Tensor? loss = null;
        for (int u = 0; u < uses; u++)
        {
            var term = op switch
            {
                "conv1d" => Ops.Sum(Ops.Mul(Ops.Conv1D(x, w, bias), c)),
                "linear" => Ops.Sum(Ops.Mul(Ops.Linear(x, w, bias), c)),
                "add" => Ops.Sum(Ops.Mul(Ops.Add(x, Ops.Mul(other, 1f)), c)),
                "add_self" => Ops.Sum(Ops.Mul(Ops.Add(x, x), c)),
                "layer_norm" => Ops.Sum(Ops.Mul(Ops.LayerNorm(x, bias, bias, 1e-5f), c)),
                "gelu" => Ops.Sum(Ops.Mul(Ops.Gelu(x), c)),
                "cross_entropy" => Ops.CrossEntropy(x, targets),
                _ => throw new ArgumentException(op),
            };
            loss = loss is null ? term : Ops.Add(loss, term);
        }
        loss!.Backward();
        return p.Grad!.ToArray();
    }
}
