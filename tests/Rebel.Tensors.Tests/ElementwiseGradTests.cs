// Element-wise ops: finite-difference gradients (every unary op, every binary op under each broadcasting pattern)
// and forward values against direct double-precision formulas.
using Rebel.Tensors;

namespace Rebel.Tensors.Tests;

public class ElementwiseGradTests
{
    public static TheoryData<string> UnaryNames => ["neg", "exp", "log", "sqrt", "pow3", "pow_half", "tanh", "sigmoid", "log_sigmoid", "relu", "gelu", "gelu_exact", "silu", "clamp", "add_scalar", "sub_scalar", "mul_scalar", "div_scalar"];

    private static (Func<Tensor, Tensor> Op, Func<double, double> Reference, bool PositiveOnly) Unary(string name) => name switch
    {
        "neg" => (Ops.Neg, x => -x, false),
        "exp" => (Ops.Exp, Math.Exp, false),
        "log" => (Ops.Log, Math.Log, true),
        "sqrt" => (Ops.Sqrt, Math.Sqrt, true),
        "pow3" => (x => Ops.Pow(x, 3f), x => x * x * x, false),
        "pow_half" => (x => Ops.Pow(x, 0.5f), Math.Sqrt, true),
        "tanh" => (Ops.Tanh, Math.Tanh, false),
        "sigmoid" => (Ops.Sigmoid, x => 1 / (1 + Math.Exp(-x)), false),
        "log_sigmoid" => (Ops.LogSigmoid, x => -Math.Log(1 + Math.Exp(-x)), false),
        "relu" => (Ops.Relu, x => Math.Max(x, 0), false),
        "gelu" => (Ops.Gelu, x => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))), false),
        "gelu_exact" => (Ops.GeluExact, x => 0.5 * x * (1 + Erf(x / Math.Sqrt(2))), false),
        "silu" => (Ops.Silu, x => x / (1 + Math.Exp(-x)), false),
        "clamp" => (x => Ops.Clamp(x, -0.7f, 0.9f), x => Math.Clamp(x, -0.7, 0.9), false),
        "add_scalar" => (x => Ops.Add(x, 1.5f), x => x + 1.5, false),
        "sub_scalar" => (x => Ops.Sub(x, 1.5f), x => x - 1.5, false),
        "mul_scalar" => (x => Ops.Mul(x, -2.5f), x => -2.5 * x, false),
        "div_scalar" => (x => Ops.Div(x, 4f), x => x / 4, false),
        _ => throw new ArgumentException(name),
    };

    [Fact]
    public void LogSigmoidStaysFiniteWhereSigmoidUnderflows()
    {
        var x = Tensor.Parameter([-200f, -90f, 0f, 90f, 200f], [5]);
        var y = Ops.LogSigmoid(x);
        Assert.Equal([-200f, -90f, -MathF.Log(2f), 0f, 0f], y.ToArray());
        Assert.True(float.IsNegativeInfinity(Ops.Log(Ops.Sigmoid(Tensor.FromArray([-200f], 1))).Item()), "the naive form underflows here");
        Ops.Sum(y).Backward();
        Assert.Equal([1f, 1f, 0.5f, 0f, 0f], x.Grad!.ToArray());
    }

    // erf by its Maclaurin series (independent of the engine's Chebyshev fit); converges fast for |x| < 3.
    private static double Erf(double x)
    {
        double sum = 0, term = x;
        for (int n = 0; n < 60; n++)
        {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    private static Tensor Input(string name, ulong seed, params int[] shape)
    {
        var (_, _, positive) = Unary(name);
        if (positive) return GradCheck.Uniform(seed, 0.5f, 2f, shape);
        // Clamp's kinks are at −0.7 and 0.9, relu's at 0: keep inputs clear of them by more than the step h.
        if (name == "clamp")
        {
            var t = GradCheck.Uniform(seed, -1.2f, 1.4f, shape);
            var s = t.Span;
            for (int i = 0; i < s.Length; i++) if (Math.Abs(s[i] + 0.7f) < 0.05f || Math.Abs(s[i] - 0.9f) < 0.05f) s[i] += 0.12f;
            return t;
        }
        return GradCheck.AwayFromZero(seed, 0.05f, shape);
    }

    [Theory]
    [MemberData(nameof(UnaryNames))]
    public void UnaryGradient(string name)
    {
        var (op, _, _) = Unary(name);
        var x = Input(name, 11, 3, 7);
        GradCheck.Check(name, t => op(t[0]), [x], h: 1e-2, tol: 1e-2);
    }

    [Theory]
    [MemberData(nameof(UnaryNames))]
    public void UnaryForwardMatchesFormula(string name)
    {
        var (op, reference, _) = Unary(name);
        var x = Input(name, 12, 4, 9);
        var y = op(x);
        Assert.Equal(x.Shape, y.Shape);
        var expected = x.ToArray().Select(v => reference(v)).ToArray();
        GradCheck.AssertClose(name, expected, y.Span, 2e-6);
    }

    [Fact]
    public void GeluForwardMatchesTorch()
    {
        // torch 1.13 (float64): F.gelu(x) and F.gelu(x, approximate='tanh') at these points.
        var x = Tensor.FromArray([-3f, -1.5f, -0.3f, 0f, 0.2f, 1f, 2.5f], 7);
        GradCheck.AssertClose("gelu_exact", [-0.00404969409489031, -0.10021080190328704, -0.1146265733433142, 0.0, 0.11585194188782061, 0.841344746068543, 2.4844758366855597], Ops.GeluExact(x).Span, 1e-6);
        GradCheck.AssertClose("gelu", [-0.0036373920817729943, -0.10042842301976707, -0.11462907645724074, 0.0, 0.11585142978210627, 0.8411919906082768, 2.484915733910001], Ops.Gelu(x).Span, 1e-6);
    }

    public static TheoryData<string, int[], int[]> BroadcastCases => new()
    {
        { "same", [2, 3, 4], [2, 3, 4] },
        { "bias suffix", [2, 3, 4], [4] },
        { "bias suffix (1, C)", [2, 3, 4], [1, 4] },
        { "bias on the left", [4], [2, 3, 4] },
        { "middle (B, 1, C)", [2, 3, 4], [2, 1, 4] },
        { "row scale (B, T, 1)", [2, 3, 4], [2, 3, 1] },
        { "leading (1, T, C)", [2, 3, 4], [1, 3, 4] },
        { "scalar tensor", [2, 3, 4], [] },
        { "scalar tensor on the left", [], [2, 3] },
        { "both broadcast", [3, 1], [1, 4] },
        { "both broadcast rank 3", [2, 1, 4], [3, 1] },
    };

    [Theory]
    [MemberData(nameof(BroadcastCases))]
    public void BinaryGradients(string name, int[] shapeA, int[] shapeB)
    {
        var a = GradCheck.Param(21, 1f, shapeA);
        var b = GradCheck.Param(22, 1f, shapeB);
        var positive = GradCheck.Uniform(23, 0.6f, 1.6f, shapeB);
        GradCheck.Check("add " + name, t => Ops.Add(t[0], t[1]), [a, b]);
        GradCheck.Check("sub " + name, t => Ops.Sub(t[0], t[1]), [a, b]);
        GradCheck.Check("mul " + name, t => Ops.Mul(t[0], t[1]), [a, b]);
        GradCheck.Check("div " + name, t => Ops.Div(t[0], t[1]), [a, positive], h: 1e-3);
    }

    [Theory]
    [MemberData(nameof(BroadcastCases))]
    public void BinaryForwardMatchesNaiveBroadcast(string name, int[] shapeA, int[] shapeB)
    {
        var a = GradCheck.Param(31, 1f, shapeA);
        var b = GradCheck.Uniform(32, 0.6f, 1.6f, shapeB);
        int rank = Math.Max(shapeA.Length, shapeB.Length);
        var pa = Pad(shapeA, rank); var pb = Pad(shapeB, rank);
        var shape = new int[rank];
        for (int d = 0; d < rank; d++) shape[d] = Math.Max(pa[d], pb[d]);
        int size = Tensor.ShapeSize(shape);
        foreach (var (op, f) in new (Func<Tensor, Tensor, Tensor>, Func<double, double, double>)[]
            { (Ops.Add, (x, y) => x + y), (Ops.Sub, (x, y) => x - y), (Ops.Mul, (x, y) => x * y), (Ops.Div, (x, y) => x / y) })
        {
            var y = op(a, b);
            Assert.Equal(shape, y.Shape);
            var expected = new double[size];
            for (int i = 0; i < size; i++) expected[i] = f(a.Span[Index(i, shape, pa)], b.Span[Index(i, shape, pb)]);
            GradCheck.AssertClose(name, expected, y.Span, 1e-6);
        }
    }

    private static int[] Pad(int[] s, int rank) => [.. Enumerable.Repeat(1, rank - s.Length), .. s];

    // Flat index into an input of (padded) shape x for output element i of shape `shape`.
    private static int Index(int i, int[] shape, int[] x)
    {
        int index = 0, stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            int coord = i % shape[d];
            i /= shape[d];
            if (x[d] != 1) index += coord * stride;
            stride *= x[d];
        }
        return index;
    }

    public static TheoryData<int[], int[]> BlockCases => new()
    {
        { [3, 37, 19], [19] },
        { [19], [3, 37, 19] },
        { [3, 37, 19], [3, 1, 19] },
        { [3, 1, 19], [3, 37, 19] },
        { [3, 37, 19], [3, 37, 1] },
        { [3, 37, 1], [3, 37, 19] },
        { [3, 37, 19], [] },
        { [], [3, 37, 19] },
        { [2, 5, 3, 7], [2, 1, 1, 7] },
        { [2, 5, 1, 7], [1, 5, 1, 7] },
        { [2, 5, 3, 7], [2, 1, 3, 1] }, // two separate runs: general path
    };

    [Theory]
    [MemberData(nameof(BlockCases))]
    public void BlockPathMatchesGeneralPath(int[] shapeA, int[] shapeB)
    {
        foreach (char op in "+-*/")
        {
            var a = GradCheck.Uniform(51, 0.5f, 2f, shapeA);
            var b = GradCheck.Uniform(52, 0.5f, 2f, shapeB);
            var ra = GradCheck.Uniform(51, 0.5f, 2f, shapeA);
            var rb = GradCheck.Uniform(52, 0.5f, 2f, shapeB);
            var y = op switch { '+' => Ops.Add(a, b), '-' => Ops.Sub(a, b), '*' => Ops.Mul(a, b), _ => Ops.Div(a, b) };
            var reference = Ops.BinaryReference(ra, rb, op);
            GradCheck.AssertClose($"{op} forward", reference.ToArray().Select(v => (double)v).ToArray(), y.Span, 1e-6);
            var w = GradCheck.Param(53, 1f, y.Shape).Detach();
            Ops.Sum(Ops.Mul(y, w)).Backward();
            Ops.Sum(Ops.Mul(reference, w)).Backward();
            GradCheck.AssertClose($"{op} grad a", ra.Grad!.Select(v => (double)v).ToArray(), a.Grad, 1e-5);
            GradCheck.AssertClose($"{op} grad b", rb.Grad!.Select(v => (double)v).ToArray(), b.Grad, 1e-5);
        }
    }

    [Fact]
    public void BroadcastMismatchNamesOpAndShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.Add(Tensor.Zeros(2, 3), Tensor.Zeros(4)));
        Assert.Contains("Add", ex.Message);
        Assert.Contains("(2, 3)", ex.Message);
        Assert.Contains("(4)", ex.Message);
    }

    [Fact]
    public void WhereGradientsAndValues()
    {
        var mask = Tensor.FromArray([1, 0, 0, 1, 1, 0], 2, 3);
        var a = GradCheck.Param(41, 1f, 2, 3);
        var b = GradCheck.Param(42, 1f, 2, 3);
        var y = Ops.Where(mask, a, b);
        for (int i = 0; i < 6; i++) Assert.Equal(mask.Span[i] != 0 ? a.Span[i] : b.Span[i], y.Span[i]);
        GradCheck.Check("where", t => Ops.Where(mask, t[0], t[1]), [a, b]);
    }

    [Fact]
    public void LargeGeluAndAddSplitAcrossThreadsEqualSmallCalls()
    {
        // 300 007 elements ≥ 2¹⁸: the threaded block path, against the same elements in one small call each 1000 elements.
        const int n = 300_007, piece = 1000;
        var x = GradCheck.Param(50, 2f, n);
        var z = GradCheck.Param(51, 1f, n);
        var seed = GradCheck.Param(52, 1f, n).Detach();
        Ops.Sum(Ops.Mul(Ops.Add(Ops.Gelu(x), z), seed)).Backward();
        var y = Ops.Add(Ops.Gelu(x), z).ToArray();
        var expectedY = new double[n]; var expectedGx = new double[n]; var expectedGz = new double[n];
        for (int s0 = 0; s0 < n; s0 += piece)
        {
            int len = Math.Min(piece, n - s0);
            var xp = Tensor.Parameter(x.ToArray().AsSpan(s0, len).ToArray(), [len]);
            var zp = Tensor.Parameter(z.ToArray().AsSpan(s0, len).ToArray(), [len]);
            var yp = Ops.Add(Ops.Gelu(xp), zp);
            Ops.Sum(Ops.Mul(yp, Tensor.FromArray(seed.ToArray().AsSpan(s0, len).ToArray(), len))).Backward();
            for (int i = 0; i < len; i++) { expectedY[s0 + i] = yp.Span[i]; expectedGx[s0 + i] = xp.Grad![i]; expectedGz[s0 + i] = zp.Grad![i]; }
        }
        GradCheck.AssertClose("gelu + add y", expectedY, y, 1e-6);
        GradCheck.AssertClose("gelu dx", expectedGx, x.Grad!.AsSpan(0, n), 1e-6);
        GradCheck.AssertClose("add dz", expectedGz, z.Grad!.AsSpan(0, n), 1e-6);
    }
}
