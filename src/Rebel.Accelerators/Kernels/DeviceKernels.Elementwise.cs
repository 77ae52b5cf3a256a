// Element-wise kernels: add, subtract, multiply and divide (b equal to a's shape or to its trailing dimensions, e.g. a bias (C)
// over (B, T, C)), scaling by a constant, and the activations GELU (tanh form, GPT-2's gelu_new), SiLU, exp, ln, tanh, σ, ReLU. Each is a small op struct run by the grid-stride driver;
// a broadcast operand's gradient is a column sum, one index per column.
using ILGPU;
using ILGPU.Algorithms;
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

public sealed partial class DeviceKernels
{
    private const float GeluC = 0.7978845608f, GeluK = 0.044715f, ExpBound = 87f;

    private const int OpAdd = 0, OpSub = 1, OpMul = 2, OpDiv = 3;
    private const int OpGelu = 0, OpSilu = 1, OpExp = 2, OpLog = 3, OpTanh = 4, OpSigmoid = 5, OpRelu = 6;

    /// <summary>a + b, where b has a's shape or a's trailing dimensions (repeated over the leading ones).</summary>
    public DeviceBuffer Add(DeviceBuffer a, DeviceBuffer b) => Binary("Add", a, b, OpAdd);

    /// <summary>a − b, where b has a's shape or a's trailing dimensions (repeated over the leading ones).</summary>
    public DeviceBuffer Sub(DeviceBuffer a, DeviceBuffer b) => Binary("Sub", a, b, OpSub);

    /// <summary>a ⊙ b, where b has a's shape or a's trailing dimensions (repeated over the leading ones).</summary>
    public DeviceBuffer Mul(DeviceBuffer a, DeviceBuffer b) => Binary("Mul", a, b, OpMul);

    /// <summary>a ⊘ b, where b has a's shape or a's trailing dimensions (repeated over the leading ones).</summary>
    public DeviceBuffer Div(DeviceBuffer a, DeviceBuffer b) => Binary("Div", a, b, OpDiv);

    /// <summary>Backward of <see cref="Add"/>: ga += g; gb += g summed over the repeated leading dimensions. Either gradient may be null.</summary>
    public void AddBackward(DeviceBuffer a, DeviceBuffer b, DeviceBuffer g, DeviceBuffer? ga, DeviceBuffer? gb) =>
        BinaryBackward("AddBackward", a, b, g, ga, gb, OpAdd);

    /// <summary>Backward of <see cref="Sub"/>: ga += g; gb −= g summed over the repeated leading dimensions. Either gradient may be null.</summary>
    public void SubBackward(DeviceBuffer a, DeviceBuffer b, DeviceBuffer g, DeviceBuffer? ga, DeviceBuffer? gb) =>
        BinaryBackward("SubBackward", a, b, g, ga, gb, OpSub);

    /// <summary>Backward of <see cref="Mul"/>: ga += g ⊙ b; gb += Σ g ⊙ a over the repeated leading dimensions. Either gradient may be null.</summary>
    public void MulBackward(DeviceBuffer a, DeviceBuffer b, DeviceBuffer g, DeviceBuffer? ga, DeviceBuffer? gb) =>
        BinaryBackward("MulBackward", a, b, g, ga, gb, OpMul);

    /// <summary>Backward of <see cref="Div"/>: ga += g ⊘ b; gb −= Σ g ⊙ a ⊘ b² over the repeated leading dimensions. Either gradient may be null.</summary>
    public void DivBackward(DeviceBuffer a, DeviceBuffer b, DeviceBuffer g, DeviceBuffer? ga, DeviceBuffer? gb) =>
        BinaryBackward("DivBackward", a, b, g, ga, gb, OpDiv);

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

    /// <summary>GELU, tanh approximation, computed as x·σ(2u) with u = √(2/π)·(x + 0.044715·x³).</summary>
    public DeviceBuffer Gelu(DeviceBuffer x) => Unary("Gelu", x, OpGelu);

    /// <summary>Backward of <see cref="Gelu"/>: gx += g · GELU′(x).</summary>
    public void GeluBackward(DeviceBuffer x, DeviceBuffer g, DeviceBuffer gx) => UnaryBackward("GeluBackward", x, g, gx, OpGelu);

    /// <summary>SiLU: x·σ(x).</summary>
    public DeviceBuffer Silu(DeviceBuffer x) => Unary("Silu", x, OpSilu);

    /// <summary>Backward of <see cref="Silu"/>: gx += g · (σ(x) + x·σ(x)·(1 − σ(x))).</summary>
    public void SiluBackward(DeviceBuffer x, DeviceBuffer g, DeviceBuffer gx) => UnaryBackward("SiluBackward", x, g, gx, OpSilu);

    /// <summary>eˣ.</summary>
    public DeviceBuffer Exp(DeviceBuffer x) => Unary("Exp", x, OpExp);

    /// <summary>Backward of <see cref="Exp"/>: gx += g · eˣ.</summary>
    public void ExpBackward(DeviceBuffer x, DeviceBuffer g, DeviceBuffer gx) => UnaryBackward("ExpBackward", x, g, gx, OpExp);

    /// <summary>ln x.</summary>
    public DeviceBuffer Log(DeviceBuffer x) => Unary("Log", x, OpLog);

    /// <summary>Backward of <see cref="Log"/>: gx += g / x.</summary>
    public void LogBackward(DeviceBuffer x, DeviceBuffer g, DeviceBuffer gx) => UnaryBackward("LogBackward", x, g, gx, OpLog);

    /// <summary>tanh x.</summary>
    public DeviceBuffer Tanh(DeviceBuffer x) => Unary("Tanh", x, OpTanh);

    /// <summary>Backward of <see cref="Tanh"/>: gx += g · (1 − tanh² x).</summary>
    public void TanhBackward(DeviceBuffer x, DeviceBuffer g, DeviceBuffer gx) => UnaryBackward("TanhBackward", x, g, gx, OpTanh);

    /// <summary>σ(x) = 1 / (1 + e⁻ˣ).</summary>
    public DeviceBuffer Sigmoid(DeviceBuffer x) => Unary("Sigmoid", x, OpSigmoid);

    /// <summary>Backward of <see cref="Sigmoid"/>: gx += g · σ(x)·(1 − σ(x)).</summary>
    public void SigmoidBackward(DeviceBuffer x, DeviceBuffer g, DeviceBuffer gx) => UnaryBackward("SigmoidBackward", x, g, gx, OpSigmoid);

    /// <summary>max(x, 0).</summary>
    public DeviceBuffer Relu(DeviceBuffer x) => Unary("Relu", x, OpRelu);

    /// <summary>Backward of <see cref="Relu"/>: gx += g where x &gt; 0.</summary>
    public void ReluBackward(DeviceBuffer x, DeviceBuffer g, DeviceBuffer gx) => UnaryBackward("ReluBackward", x, g, gx, OpRelu);

    private DeviceBuffer Binary(string op, DeviceBuffer a, DeviceBuffer b, int kind)
    {
        int width = BroadcastWidth(op, a, b);
        var y = device.Allocate(a.Shape);
        Run(new BinaryOp(a.View, b.View, y.View, width, kind), a.Size);
        return y;
    }

    private void BinaryBackward(string op, DeviceBuffer a, DeviceBuffer b, DeviceBuffer g, DeviceBuffer? ga, DeviceBuffer? gb, int kind)
    {
        int width = BroadcastWidth(op, a, b);
        RequireSameShape(op, "input a", a, "gradient", g);
        if (ga is not null)
        {
            RequireSameShape(op, "input a", a, "its gradient", ga);
            Run(new BinaryGradAOp(g.View, b.View, ga.View, width, kind), a.Size);
        }
        if (gb is not null)
        {
            RequireSameShape(op, "input b", b, "its gradient", gb);
            if (width > 0) Run(new ColumnSumOp(g.View, a.View, b.View, gb.View, a.Size / width, width, kind), width);
        }
    }

    // b's element count when b equals a's shape or its trailing dimensions (leading 1s in b allowed); else a clear error.
    private int BroadcastWidth(string op, DeviceBuffer a, DeviceBuffer b)
    {
        RequireHere(op, a);
        RequireHere(op, b);
        int lead = 0;
        while (lead < b.Shape.Length && b.Shape[lead] == 1) lead++; // leading 1s repeat like missing dimensions
        int n = b.Shape.Length - lead;
        bool suffix = n <= a.Shape.Length;
        for (int i = 0; suffix && i < n; i++) suffix = b.Shape[lead + i] == a.Shape[a.Shape.Length - n + i];
        if (!suffix)
            throw new ArgumentException($"{op}: shapes {Tensor.Format(a.Shape)} and {Tensor.Format(b.Shape)} do not combine on the device: b must have a's shape or its trailing dimensions.");
        return b.Size;
    }

    /// <summary>y = a + b, a − b, a ⊙ b or a ⊘ b, b repeating every <c>width</c> elements.</summary>
    internal readonly struct BinaryOp(ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, int width, int kind) : IElementOp
    {
        private readonly ArrayView<float> a = a, b = b, y = y;
        private readonly int width = width, kind = kind;

        public void Apply(int i)
        {
            float av = a[i], bv = b[i % width];
            y[i] = kind switch { OpAdd => av + bv, OpSub => av - bv, OpMul => av * bv, _ => av / bv };
        }
    }

    /// <summary>ga += g (sum, difference), g ⊙ b (product) or g ⊘ b (quotient).</summary>
    internal readonly struct BinaryGradAOp(ArrayView<float> g, ArrayView<float> b, ArrayView<float> ga, int width, int kind) : IElementOp
    {
        private readonly ArrayView<float> g = g, b = b, ga = ga;
        private readonly int width = width, kind = kind;

        public void Apply(int i) => ga[i] += kind switch { OpMul => g[i] * b[i % width], OpDiv => g[i] / b[i % width], _ => g[i] };
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
                sum += kind switch { OpAdd => g[k], OpSub => -g[k], OpMul => g[k] * a[k], _ => -g[k] * a[k] / (b[j] * b[j]) };
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

    private DeviceBuffer Unary(string op, DeviceBuffer x, int kind)
    {
        RequireHere(op, x);
        var y = device.Allocate(x.Shape);
        Run(new UnaryOp(x.View, y.View, kind), x.Size);
        return y;
    }

    private void UnaryBackward(string op, DeviceBuffer x, DeviceBuffer g, DeviceBuffer gx, int kind)
    {
        RequireSameShape(op, "input", x, "gradient", g);
        RequireSameShape(op, "input", x, "input gradient", gx);
        Run(new UnaryGradOp(x.View, g.View, gx.View, kind), x.Size);
    }

    /// <summary>y = f(x) for one of the activations.</summary>
    internal readonly struct UnaryOp(ArrayView<float> x, ArrayView<float> y, int kind) : IElementOp
    {
        private readonly ArrayView<float> x = x, y = y;
        private readonly int kind = kind;

        public void Apply(int i)
        {
            float v = x[i];
            y[i] = kind switch
            {
                OpGelu => v * GeluSigmoid(v),
                OpSilu => v * Sigma(v),
                OpExp => XMath.Exp(v),
                OpLog => XMath.Log(v),
                OpTanh => XMath.Tanh(v),
                OpSigmoid => Sigma(v),
                _ => XMath.Max(v, 0f),
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
            switch (kind)
            {
                case OpGelu:
                    // GELU′(x) = s·(1 + x·(1 − s)·2c·(1 + 3k·x²)), s = σ(2u), 1 − s = e^(−2u)·s; x clamped where s is already 0 or 1.
                    float e = GeluExp(v), s = GeluSigmoid(v), xc = XMath.Clamp(v, -ExpBound, ExpBound);
                    return s * (1f + xc * (e * s) * (2f * GeluC + 6f * GeluC * GeluK * xc * xc));
                case OpSilu:
                    float sg = Sigma(v);
                    return sg + v * sg * (1f - sg);
                case OpExp:
                    return XMath.Exp(v);
                case OpLog:
                    return 1f / v;
                case OpTanh:
                    float t = XMath.Tanh(v);
                    return 1f - t * t;
                case OpSigmoid:
                    float sv = Sigma(v);
                    return sv * (1f - sv);
                default:
                    return v > 0f ? 1f : 0f;
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
}
