// The autograd tape: accumulation, Detach, NoGrad, shared inputs, anomaly mode and error messages.
using Rebel.Tensors;

namespace Rebel.Tensors.Tests;

public class AutogradTests
{
    [Fact]
    public void GradientsAccumulateOverTwoBackwardCalls()
    {
        var x = Tensor.Parameter([1f, -2f, 3f], [3]);
        Ops.Sum(Ops.Mul(x, x)).Backward();
        Assert.Equal([2f, -4f, 6f], x.Grad!);
        Ops.Sum(Ops.Mul(x, 3f)).Backward();
        Assert.Equal([5f, -1f, 9f], x.Grad!);
        x.ZeroGrad();
        Assert.Equal([0f, 0f, 0f], x.Grad!);
    }

    [Fact]
    public void DetachStopsGradients()
    {
        var x = Tensor.Parameter([1f, -2f, 3f], [3]);
        var d = x.Detach();
        Assert.False(d.RequiresGrad);
        Assert.Equal(x.ToArray(), d.ToArray());
        Ops.Sum(Ops.Mul(x, d)).Backward(); // d/dx (x · stop(x)) = stop(x)
        Assert.Equal([1f, -2f, 3f], x.Grad!);
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var x = Tensor.Parameter([1f, 2f], [2]);
        Tensor y;
        using (Autograd.NoGrad())
        {
            Assert.False(Autograd.IsGradEnabled);
            y = Ops.Sum(Ops.Exp(Ops.Mul(x, x)));
        }
        Assert.True(Autograd.IsGradEnabled);
        Assert.False(y.RequiresGrad);
        Assert.Throws<InvalidOperationException>(y.Backward);
        Assert.Null(x.Grad);
        Assert.True(Ops.Sum(x).RequiresGrad);
    }

    [Fact]
    public void DiamondGraphSumsBothPaths()
    {
        var x = Tensor.Parameter([0.5f, -1f], [2]);
        var a = Ops.Mul(x, 2f);
        var b = Ops.Exp(x);
        var c = Ops.Mul(a, b); // 2x·eˣ, both branches from x
        Ops.Sum(Ops.Add(c, a)).Backward();
        for (int i = 0; i < 2; i++)
        {
            double v = x.Span[i];
            Assert.Equal(2 * Math.Exp(v) + 2 * v * Math.Exp(v) + 2, x.Grad![i], 5);
        }
    }

    [Fact]
    public void BackwardThroughAFreedGraphThrows()
    {
        var x = Tensor.Parameter([1f, 2f], [2]);
        var h = Ops.Exp(x);
        var loss = Ops.Sum(h);
        loss.Backward();
        var ex = Assert.Throws<InvalidOperationException>(loss.Backward);
        Assert.Contains("freed", ex.Message);
        Assert.Throws<InvalidOperationException>(() => Ops.Sum(Ops.Mul(h, 2f)).Backward()); // h's own graph is gone too
        Assert.Equal(MathF.Exp(2f), x.Grad![1], 5); // and nothing was added twice
    }

    [Fact]
    public void NonScalarRootIsSeededWithOnes()
    {
        var x = Tensor.Parameter([1f, 2f], [2]);
        Ops.Mul(x, 3f).Backward();
        Assert.Equal([3f, 3f], x.Grad!);
    }

    [Fact]
    public void AnomalyModeNamesTheOp()
    {
        var x = Tensor.Parameter([1f, -1f], [2]);
        Autograd.DetectAnomaly = true;
        try
        {
            var forward = Assert.Throws<AnomalyException>(() => Ops.Log(x));
            Assert.Contains("'log'", forward.Message);
            Assert.Contains("NaN", forward.Message);
            var z = Tensor.Parameter([0f, 4f], [2]);
            var backward = Assert.Throws<AnomalyException>(() => Ops.Sum(Ops.Sqrt(z)).Backward()); // d√x/dx at 0 is ∞
            Assert.Contains("'sqrt'", backward.Message);
            Assert.Contains("backward", backward.Message);
        }
        finally
        {
            Autograd.DetectAnomaly = false;
        }
        Assert.True(float.IsNaN(Ops.Log(x).Span[1]));
    }

    public static TheoryData<string, string, string, Action> Mismatches => new()
    {
        { "Sub", "(2, 3)", "(3, 2)", () => Ops.Sub(Tensor.Zeros(2, 3), Tensor.Zeros(3, 2)) },
        { "Mul", "(4)", "(5)", () => Ops.Mul(Tensor.Zeros(4), Tensor.Zeros(5)) },
        { "MatMul", "(2, 3, 4)", "(3, 4, 5)", () => Ops.MatMul(Tensor.Zeros(2, 3, 4), Tensor.Zeros(3, 4, 5)) },
        { "Linear", "(2, 3)", "(4, 5)", () => Ops.Linear(Tensor.Zeros(2, 3), Tensor.Zeros(4, 5)) },
        { "LayerNorm", "(2, 3)", "(4)", () => Ops.LayerNorm(Tensor.Zeros(2, 3), Tensor.Zeros(4), null, 1e-5f) },
        { "RmsNorm", "(2, 3)", "(2)", () => Ops.RmsNorm(Tensor.Zeros(2, 3), Tensor.Zeros(2), 1e-5f) },
        { "Where", "(2, 3)", "(3, 2)", () => Ops.Where(Tensor.Zeros(2, 3), Tensor.Zeros(2, 3), Tensor.Zeros(3, 2)) },
        { "Concat", "(2, 4)", "(2, 3)", () => Ops.Concat([Tensor.Zeros(2, 3), Tensor.Zeros(2, 4)], 0) },
    };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public void ShapeMismatchNamesOpAndBothShapes(string op, string shapeA, string shapeB, Action call)
    {
        var ex = Assert.Throws<ArgumentException>(call);
        Assert.Contains(op, ex.Message);
        Assert.Contains(shapeA, ex.Message);
        Assert.Contains(shapeB, ex.Message);
    }
}
