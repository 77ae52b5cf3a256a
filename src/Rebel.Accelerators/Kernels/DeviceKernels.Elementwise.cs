// Element-wise kernels: add, subtract, multiply and divide (b equal to a's shape or to its trailing dimensions, e.g. a bias (C)
// over (B, T, C); other NumPy broadcasts in DeviceKernels.Broadcast.cs), scaling by a constant, and the activations GELU (tanh form,
// GPT-2's gelu_new, and exact erf form, GPT-NeoX), SiLU, exp, ln, tanh, σ, ReLU, ln σ, √; adding a constant.
// Each is a small op struct run by the grid-stride driver; a broadcast operand's gradient is a column sum, one index per column.
using ILGPU;
using ILGPU.Algorithms;
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

/// <summary>The element-wise binary ops of <see cref="DeviceKernels.Binary"/>.</summary>
public enum BinaryKind
{
    /// <summary>a + b.</summary>
    Add,

    /// <summary>a − b.</summary>
    Sub,

    /// <summary>a ⊙ b.</summary>
    Mul,

    /// <summary>a ⊘ b.</summary>
    Div,
}

/// <summary>The element-wise activations of <see cref="DeviceKernels.Map"/>.</summary>
public enum Activation
{
    /// <summary>GELU, tanh approximation (GPT-2's gelu_new), computed as x·σ(2u) with u = √(2/π)·(x + 0.044715·x³).</summary>
    Gelu,

    /// <summary>SiLU: x·σ(x); slope σ(x) + x·σ(x)·(1 − σ(x)).</summary>
    Silu,

    /// <summary>eˣ.</summary>
    Exp,

    /// <summary>ln x; slope 1/x.</summary>
    Log,

    /// <summary>tanh x; slope 1 − tanh² x.</summary>
    Tanh,

    /// <summary>σ(x) = 1 / (1 + e⁻ˣ); slope σ(x)·(1 − σ(x)).</summary>
    Sigmoid,

    /// <summary>max(x, 0); slope 1 where x &gt; 0.</summary>
    Relu,

    /// <summary>GELU, exact erf form 0.5·x·(1 + erf(x/√2)) (GPT-NeoX's "gelu"), erf by the engine's Numerical Recipes fit; slope Φ(x) + x·φ(x).</summary>
    GeluExact,

    /// <summary>ln σ(x) = min(x, 0) − ln(1 + e^−|x|) (finite where σ underflows); slope σ(−x) = 1 / (1 + eˣ).</summary>
    LogSigmoid,

    /// <summary>√x; slope 1 / (2√x).</summary>
    Sqrt,
}

public sealed partial class DeviceKernels
{
    private const float GeluC = 0.7978845608f, GeluK = 0.044715f, ExpBound = 87f;

    /// <summary>
    /// a ∘ b for <paramref name="op"/> with NumPy broadcasting: the result has the broadcast shape. When b has a's shape or its
    /// trailing dimensions (a bias) this is one index per element with b repeating; any other broadcast (a (B, 1, C) or (B, T, 1)
    /// operand, either side) maps each output index to both operands' (<see cref="BroadcastBinary"/>).
    /// </summary>
    public DeviceBuffer Binary(BinaryKind op, DeviceBuffer a, DeviceBuffer b)
    {
        int width = TrailingWidth(op.ToString(), a, b);
        if (width < 0) return BroadcastBinary(op, a, b);
        var y = device.Allocate(a.Shape);
        Run(new BinaryOp(a.View, b.View, y.View, width, (int)op), a.Size);
        return y;
    }

    /// <summary>
    /// Backward of <see cref="Binary"/>: ga += ∂y/∂a ⊙ g and gb += ∂y/∂b ⊙ g, each summed over the dimensions its operand repeats
    /// over (for a ⊘ b: ga += g ⊘ b, gb −= Σ g ⊙ a ⊘ b²); g has the result's shape. Either gradient may be null.
    /// </summary>
    public void BinaryBackward(BinaryKind op, DeviceBuffer a, DeviceBuffer b, DeviceBuffer g, DeviceBuffer? ga, DeviceBuffer? gb)
    {
        string name = op + "Backward";
        int width = TrailingWidth(name, a, b);
        if (width < 0)
        {
            BroadcastBinaryBackward(op, a, b, g, ga, gb);
            return;
        }
        RequireSameShape(name, "input a", a, "gradient", g);
        if (ga is not null)
        {
            RequireSameShape(name, "input a", a, "its gradient", ga);
            Run(new BinaryGradAOp(g.View, b.View, ga.View, width, (int)op), a.Size);
        }
        if (gb is not null)
        {
            RequireSameShape(name, "input b", b, "its gradient", gb);
            if (width > 0) Run(new ColumnSumOp(g.View, a.View, b.View, gb.View, a.Size / width, width, (int)op), width);
        }
    }

    /// <summary>a · s.</summary>
    public DeviceBuffer Scale(DeviceBuffer a, float s)
    {
        RequireHere("Scale", a);
        var y = device.Allocate(a.Shape);
        Run(new ScaleOp(a.View, y.View, s, accumulate: false), a.Size);
        return y;
    }

    /// <summary>Backward of <see cref="Scale"/>: ga += s · g.</summary>
    public void ScaleBackward(DeviceBuffer g, float s, DeviceBuffer ga)
    {
        RequireSameShape("ScaleBackward", "gradient", g, "input gradient", ga);
        Run(new ScaleOp(g.View, ga.View, s, accumulate: true), g.Size);
    }

    /// <summary>a + s for a constant s (Ops.Add(a, s); a − s is a + (−s)).</summary>
    public DeviceBuffer AddScalar(DeviceBuffer a, float s)
    {
        RequireHere("AddScalar", a);
        var y = device.Allocate(a.Shape);
        Run(new AddScalarOp(a.View, y.View, s), a.Size);
        return y;
    }

    /// <summary>Backward of <see cref="AddScalar"/>: ga += g.</summary>
    public void AddScalarBackward(DeviceBuffer g, DeviceBuffer ga) => ScaleBackward(g, 1f, ga);

    /// <summary>y = f(x) element-wise for the activation <paramref name="f"/>.</summary>
    public DeviceBuffer Map(Activation f, DeviceBuffer x)
    {
        RequireHere(f.ToString(), x);
        var y = device.Allocate(x.Shape);
        Run(new UnaryOp(x.View, y.View, (int)f), x.Size);
        return y;
    }

    /// <summary>Backward of <see cref="Map"/>: gx += g ⊙ f′(x).</summary>
    public void MapBackward(Activation f, DeviceBuffer x, DeviceBuffer g, DeviceBuffer gx)
    {
        string name = f + "Backward";
        RequireSameShape(name, "input", x, "gradient", g);
        RequireSameShape(name, "input", x, "input gradient", gx);
        Run(new UnaryGradOp(x.View, g.View, gx.View, (int)f), x.Size);
    }

    // b's element count when b equals a's shape or its trailing dimensions (leading 1s in b allowed, not beyond a's rank); else −1.
    private int TrailingWidth(string op, DeviceBuffer a, DeviceBuffer b)
    {
        RequireHere(op, a);
        RequireHere(op, b);
        int lead = 0;
        while (lead < b.Shape.Length && b.Shape[lead] == 1) lead++; // leading 1s repeat like missing dimensions
        int n = b.Shape.Length - lead;
        bool suffix = n <= a.Shape.Length && b.Shape.Length <= a.Shape.Length;
        for (int i = 0; suffix && i < n; i++) suffix = b.Shape[lead + i] == a.Shape[a.Shape.Length - n + i];
        return suffix ? b.Size : -1;
    }

    /// <summary>y = a + b, a − b, a ⊙ b or a ⊘ b, b repeating every <c>width</c> elements.</summary>
    internal readonly struct BinaryOp(ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, int width, int kind) : IElementOp
    {
        private readonly ArrayView<float> a = a, b = b, y = y;
        private readonly int width = width, kind = kind;

        public void Apply(int i)
        {
            float av = a[i], bv = b[i % width];
            y[i] = (BinaryKind)kind switch { BinaryKind.Add => av + bv, BinaryKind.Sub => av - bv, BinaryKind.Mul => av * bv, _ => av / bv };
        }
    }

    /// <summary>ga += g (sum, difference), g ⊙ b (product) or g ⊘ b (quotient).</summary>
    internal readonly struct BinaryGradAOp(ArrayView<float> g, ArrayView<float> b, ArrayView<float> ga, int width, int kind) : IElementOp
    {
        private readonly ArrayView<float> g = g, b = b, ga = ga;
        private readonly int width = width, kind = kind;

        public void Apply(int i) => ga[i] += (BinaryKind)kind switch { BinaryKind.Mul => g[i] * b[i % width], BinaryKind.Div => g[i] / b[i % width], _ => g[i] };
    }

    /// <summary>gb[j] += Σ_r ∂y[r·W + j]/∂b[j] · g[r·W + j] (g, −g, g·a or −g·a/b²), one index per column j.</summary>
    internal readonly struct ColumnSumOp(ArrayView<float> g, ArrayView<float> a, ArrayView<float> b, ArrayView<float> gb, int rows, int width, int kind) : IElementOp
    {
        private readonly ArrayView<float> g = g, a = a, b = b, gb = gb;
        private readonly int rows = rows, width = width, kind = kind;

        public void Apply(int j)
        {
            float sum = 0f;
            for (int r = 0; r < rows; r++)
            {
                int k = r * width + j;
                sum += (BinaryKind)kind switch { BinaryKind.Add => g[k], BinaryKind.Sub => -g[k], BinaryKind.Mul => g[k] * a[k], _ => -g[k] * a[k] / (b[j] * b[j]) };
            }
            gb[j] += sum;
        }
    }

    /// <summary>y = s·x, or y += s·x when accumulating (x and y may be the same view: an in-place scale).</summary>
    internal readonly struct ScaleOp(ArrayView<float> x, ArrayView<float> y, float s, bool accumulate) : IElementOp
    {
        private readonly ArrayView<float> x = x, y = y;
        private readonly float s = s;
        private readonly int accumulate = accumulate ? 1 : 0;

        public void Apply(int i) => y[i] = accumulate != 0 ? y[i] + s * x[i] : s * x[i];
    }

    /// <summary>y = x + s.</summary>
    internal readonly struct AddScalarOp(ArrayView<float> x, ArrayView<float> y, float s) : IElementOp
    {
        private readonly ArrayView<float> x = x, y = y;
        private readonly float s = s;

        public void Apply(int i) => y[i] = x[i] + s;
    }

    /// <summary>y = f(x) for one of the activations.</summary>
    internal readonly struct UnaryOp(ArrayView<float> x, ArrayView<float> y, int kind) : IElementOp
    {
        private readonly ArrayView<float> x = x, y = y;
        private readonly int kind = kind;

        public void Apply(int i)
        {
            float v = x[i];
            y[i] = (Activation)kind switch
            {
                Activation.Gelu => v * GeluSigmoid(v),
                Activation.Silu => v * Sigma(v),
                Activation.Exp => XMath.Exp(v),
                Activation.Log => XMath.Log(v),
                Activation.Tanh => XMath.Tanh(v),
                Activation.Sigmoid => Sigma(v),
                Activation.Relu => XMath.Max(v, 0f),
                Activation.GeluExact => 0.5f * v * (1f + Erf(v * 0.70710678f)),
                Activation.LogSigmoid => XMath.Min(v, 0f) - XMath.Log(1f + XMath.Exp(-XMath.Abs(v))),
                _ => XMath.Sqrt(v),
            };
        }
    }

    /// <summary>gx += g · f′(x) for one of the activations.</summary>
    internal readonly struct UnaryGradOp(ArrayView<float> x, ArrayView<float> g, ArrayView<float> gx, int kind) : IElementOp
    {
        private readonly ArrayView<float> x = x, g = g, gx = gx;
        private readonly int kind = kind;

        public void Apply(int i)
        {
            float v = x[i];
            gx[i] += g[i] * Slope(v);
        }

        private float Slope(float v)
        {
            switch ((Activation)kind)
            {
                case Activation.Gelu:
                    // GELU′(x) = s·(1 + x·(1 − s)·2c·(1 + 3k·x²)), s = σ(2u), 1 − s = e^(−2u)·s; x clamped where s is already 0 or 1.
                    float e = GeluExp(v), s = GeluSigmoid(v), xc = XMath.Clamp(v, -ExpBound, ExpBound);
                    return s * (1f + xc * (e * s) * (2f * GeluC + 6f * GeluC * GeluK * xc * xc));
                case Activation.Silu:
                    float sg = Sigma(v);
                    return sg + v * sg * (1f - sg);
                case Activation.Exp:
                    return XMath.Exp(v);
                case Activation.Log:
                    return 1f / v;
                case Activation.Tanh:
                    float t = XMath.Tanh(v);
                    return 1f - t * t;
                case Activation.Sigmoid:
                    float sv = Sigma(v);
                    return sv * (1f - sv);
                case Activation.Relu:
                    return v > 0f ? 1f : 0f;
                case Activation.GeluExact:
                    float cdf = 0.5f * (1f + Erf(v * 0.70710678f)), pdf = 0.39894228f * XMath.Exp(-0.5f * v * v);
                    return cdf + v * pdf;
                case Activation.LogSigmoid:
                    return 1f / (1f + XMath.Exp(v));
                default:
                    return 0.5f / XMath.Sqrt(v);
            }
        }
    }

    // e^(−2u), the exponent clamped to ±ExpBound.
    private static float GeluExp(float x) => XMath.Exp(XMath.Clamp(-2f * GeluC * x * (1f + GeluK * x * x), -ExpBound, ExpBound));

    // σ(2u) = 1 / (1 + e^(−2u)); exactly 0 once −2u passes ExpBound.
    private static float GeluSigmoid(float x)
    {
        float v = -2f * GeluC * x * (1f + GeluK * x * x);
        return v > ExpBound ? 0f : 1f / (1f + GeluExp(x));
    }

    private static float Sigma(float x) => 1f / (1f + XMath.Exp(-x));

    // erf by the Chebyshev-fitted erfc of Numerical Recipes (fractional error below 1.2e-7), in double as the engine's Ops.Erf.
    private static float Erf(float x)
    {
        double ax = XMath.Abs((double)x);
        double t = 1.0 / (1.0 + 0.5 * ax);
        double y = 1.0 - t * XMath.Exp(-ax * ax - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return (float)(x >= 0 ? y : -y);
    }
}
