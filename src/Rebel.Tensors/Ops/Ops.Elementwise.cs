// Element-wise ops: binary arithmetic with NumPy broadcasting, scalar forms, and unary activations.
// Each op's forward and backward sit together; backward accumulates into the inputs' gradients with +=.
using System.Numerics.Tensors;
using Rebel.Tensors.Kernels;

namespace Rebel.Tensors;

/// <summary>Differentiable tensor operations.</summary>
public static partial class Ops
{
    private delegate void SpanMap(ReadOnlySpan<float> x, Span<float> y);
    private delegate void SpanGrad(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> gx);

    /// <summary>a + b with broadcasting.</summary>
    public static Tensor Add(Tensor a, Tensor b) => Binary(a, b, BinaryKind.Add);

    /// <summary>a − b with broadcasting.</summary>
    public static Tensor Sub(Tensor a, Tensor b) => Binary(a, b, BinaryKind.Sub);

    /// <summary>a ⊙ b with broadcasting.</summary>
    public static Tensor Mul(Tensor a, Tensor b) => Binary(a, b, BinaryKind.Mul);

    /// <summary>a ⊘ b with broadcasting.</summary>
    public static Tensor Div(Tensor a, Tensor b) => Binary(a, b, BinaryKind.Div);

    /// <summary>a + s.</summary>
    public static Tensor Add(Tensor a, float s)
    {
        if (AcceleratorOf(a) is { } device)
            return DeviceScalarOp("add_scalar", a, device.AddScalar(a, s), 1f);
        var y = Tensor.Uninitialized(a.Shape);
        TensorPrimitives.Add(a.Span, s, y.Span);
        return Autograd.Record(y, "add_scalar", [a], () => TensorPrimitives.Add(a.GradSpan, y.GradSpan, a.GradSpan));
    }

    /// <summary>a · s.</summary>
    public static Tensor Mul(Tensor a, float s)
    {
        if (AcceleratorOf(a) is { } device)
            return DeviceScalarOp("mul_scalar", a, device.MulScalar(a, s), s);
        var y = Tensor.Uninitialized(a.Shape);
        TensorPrimitives.Multiply(a.Span, s, y.Span);
        return Autograd.Record(y, "mul_scalar", [a], () => TensorPrimitives.MultiplyAdd(y.GradSpan, s, a.GradSpan, a.GradSpan));
    }

    /// <summary>a − s.</summary>
    public static Tensor Sub(Tensor a, float s) => Add(a, -s);

    /// <summary>a / s.</summary>
    public static Tensor Div(Tensor a, float s) => Mul(a, 1f / s);

    /// <summary>−a.</summary>
    public static Tensor Neg(Tensor a) => Mul(a, -1f);

    /// <summary>eˣ.</summary>
    public static Tensor Exp(Tensor a) => Unary(a, "exp", DeviceUnary.Exp, static (x, y) => TensorPrimitives.Exp(x, y),
        static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += g[i] * y[i]; });

    /// <summary>ln x.</summary>
    public static Tensor Log(Tensor a) => Unary(a, "log", DeviceUnary.Log, static (x, y) => TensorPrimitives.Log(x, y),
        static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += g[i] / x[i]; });

    /// <summary>√x.</summary>
    public static Tensor Sqrt(Tensor a) => Unary(a, "sqrt", DeviceUnary.Sqrt, static (x, y) => TensorPrimitives.Sqrt(x, y),
        static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += g[i] * 0.5f / y[i]; });

    /// <summary>tanh x.</summary>
    public static Tensor Tanh(Tensor a) => Unary(a, "tanh", DeviceUnary.Tanh, static (x, y) => TensorPrimitives.Tanh(x, y),
        static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += g[i] * (1f - y[i] * y[i]); });

    /// <summary>σ(x) = 1 / (1 + e⁻ˣ).</summary>
    public static Tensor Sigmoid(Tensor a) => Unary(a, "sigmoid", DeviceUnary.Sigmoid, static (x, y) => TensorPrimitives.Sigmoid(x, y),
        static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += g[i] * y[i] * (1f - y[i]); });

    /// <summary>ln σ(x), computed as min(x, 0) − ln(1 + e^−|x|) so it stays finite where σ(x) underflows; gradient σ(−x).</summary>
    public static Tensor LogSigmoid(Tensor a) => Unary(a, "log_sigmoid", DeviceUnary.LogSigmoid, static (x, y) =>
        {
            for (int i = 0; i < x.Length; i++) y[i] = MathF.Min(x[i], 0f) - MathF.Log(1f + MathF.Exp(-MathF.Abs(x[i])));
        },
        static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += g[i] / (1f + MathF.Exp(x[i])); });

    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor a) => Unary(a, "relu", DeviceUnary.Relu, static (x, y) => TensorPrimitives.Max(x, 0f, y),
        static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) if (x[i] > 0) gx[i] += g[i]; });

    /// <summary>x·σ(x) (SiLU / swish).</summary>
    public static Tensor Silu(Tensor a) => Unary(a, "silu", DeviceUnary.Silu, static (x, y) => SiluForward(x, y),
        static (x, y, g, gx) =>
        {
            for (int i = 0; i < gx.Length; i++)
            {
                float s = 1f / (1f + MathF.Exp(-x[i]));
                gx[i] += g[i] * (s + x[i] * s * (1f - s));
            }
        });

    /// <summary>GELU, exact erf form: 0.5·x·(1 + erf(x/√2)) (GPT-NeoX's "gelu").</summary>
    public static Tensor GeluExact(Tensor a) => Unary(a, "gelu_exact", DeviceUnary.GeluExact, static (x, y) =>
        {
            for (int i = 0; i < x.Length; i++) y[i] = 0.5f * x[i] * (1f + Erf(x[i] * 0.70710678f));
        },
        static (x, y, g, gx) =>
        {
            for (int i = 0; i < gx.Length; i++)
            {
                float v = x[i];
                float cdf = 0.5f * (1f + Erf(v * 0.70710678f));
                float pdf = 0.39894228f * MathF.Exp(-0.5f * v * v);
                gx[i] += g[i] * (cdf + v * pdf);
            }
        });

    /// <summary>xᵖ for a constant exponent.</summary>
    public static Tensor Pow(Tensor a, float p)
    {
        if (AcceleratorOf(a) is { } device)
        {
            var yd = new Tensor((int[])a.Shape.Clone(), device.Pow(a, p), isParameter: false);
            return Autograd.Record(yd, "pow", [a], () => device.PowBackward(a, p, yd.DeviceGrad, a.DeviceGrad));
        }
        var y = Tensor.Uninitialized(a.Shape);
        TensorPrimitives.Pow(a.Span, p, y.Span);
        return Autograd.Record(y, "pow", [a], () =>
        {
            var x = a.Span; var g = y.GradSpan; var gx = a.GradSpan;
            for (int i = 0; i < gx.Length; i++) gx[i] += g[i] * p * MathF.Pow(x[i], p - 1f);
        });
    }

    /// <summary>min(max(x, lo), hi); the gradient passes only where lo ≤ x ≤ hi.</summary>
    public static Tensor Clamp(Tensor a, float lo, float hi)
    {
        if (AcceleratorOf(a) is { } device)
        {
            var yd = new Tensor((int[])a.Shape.Clone(), device.Clamp(a, lo, hi), isParameter: false);
            return Autograd.Record(yd, "clamp", [a], () => device.ClampBackward(a, lo, hi, yd.DeviceGrad, a.DeviceGrad));
        }
        var y = Tensor.Uninitialized(a.Shape);
        TensorPrimitives.Clamp(a.Span, lo, hi, y.Span);
        return Autograd.Record(y, "clamp", [a], () =>
        {
            var x = a.Span; var g = y.GradSpan; var gx = a.GradSpan;
            for (int i = 0; i < gx.Length; i++) if (x[i] >= lo && x[i] <= hi) gx[i] += g[i];
        });
    }

    /// <summary>mask ≠ 0 ? a : b, element-wise over equal shapes (mask is a constant).</summary>
    public static Tensor Where(Tensor mask, Tensor a, Tensor b)
    {
        RequireSameShape("Where", mask, a);
        RequireSameShape("Where", a, b);
        if (AcceleratorOf("Where", [mask, a, b]) is { } device)
        {
            var yd = new Tensor((int[])a.Shape.Clone(), device.Where(mask, a, b), isParameter: false);
            return Autograd.Record(yd, "where", [a, b], () => device.WhereBackward(mask, yd.DeviceGrad, GradIfNeeded(a), b == a ? null : GradIfNeeded(b)));
        }
        var y = Tensor.Uninitialized(a.Shape);
        var m = mask.Span; var av = a.Span; var bv = b.Span; var yv = y.Span;
        for (int i = 0; i < yv.Length; i++) yv[i] = m[i] != 0 ? av[i] : bv[i];
        return Autograd.Record(y, "where", [a, b], () =>
        {
            var mk = mask.Span; var g = y.GradSpan;
            if (a.RequiresGrad) { var ga = a.GradSpan; for (int i = 0; i < g.Length; i++) if (mk[i] != 0) ga[i] += g[i]; }
            if (b.RequiresGrad) { var gb = b.GradSpan; for (int i = 0; i < g.Length; i++) if (mk[i] == 0) gb[i] += g[i]; }
        });
    }

    private static Tensor Unary(Tensor a, string name, DeviceUnary kind, SpanMap forward, SpanGrad backward)
    {
        if (AcceleratorOf(a) is { } device)
        {
            var yd = new Tensor((int[])a.Shape.Clone(), device.Unary(kind, a), isParameter: false);
            return Autograd.Record(yd, name, [a], () => device.UnaryBackward(kind, a, yd, yd.DeviceGrad, a.DeviceGrad));
        }
        var y = Tensor.Uninitialized(a.Shape);
        float[] x = a.Data, ya = y.Data;
        int xo = a.Offset;
        ForEachBlock(a.Size, (s, n) => forward(x.AsSpan(xo + s, n), ya.AsSpan(s, n)));
        return Autograd.Record(y, name, [a], () =>
        {
            float[] g = GradArray(y), gx = GradArray(a);
            ForEachBlock(a.Size, (s, n) => backward(x.AsSpan(xo + s, n), ya.AsSpan(s, n), g.AsSpan(s, n), gx.AsSpan(s, n)));
        });
    }

    // a + s or s·a on an accelerator (the result's storage given); the gradient is slope·g.
    private static Tensor DeviceScalarOp(string name, Tensor a, DeviceStorage result, float slope)
    {
        var y = new Tensor((int[])a.Shape.Clone(), result, isParameter: false);
        return Autograd.Record(y, name, [a], () => a.Device.Accumulate(y.DeviceGrad, a.DeviceGrad, a.Size, slope));
    }

    /// <summary>Element-wise maps over at least this many elements are split across threads.</summary>
    private const int ParallelElements = 1 << 18;

    /// <summary>Split points are multiples of this, so every kernel sees the same 512-element chunks as a serial call.</summary>
    private const int ElementBlock = 4096;

    /// <summary>
    /// Parts per thread of a large element-wise or row-wise op: threads take parts as they come free, so a core that
    /// another process slows down takes fewer of them.
    /// </summary>
    private const int PartsPerThread = 4;

    // body(start, count) over [0, length): one call, or PartsPerThread per thread on whole blocks for large lengths.
    private static void ForEachBlock(int length, Action<int, int> body)
    {
        int blocks = (length + ElementBlock - 1) / ElementBlock, parts = Math.Min(blocks, PartsPerThread * Environment.ProcessorCount);
        if (length < ParallelElements || parts <= 1) { body(0, length); return; }
        WorkerTeam.For(parts, p =>
        {
            int start = (int)((long)blocks * p / parts) * ElementBlock, end = Math.Min(length, (int)((long)blocks * (p + 1) / parts) * ElementBlock);
            body(start, end - start);
        });
    }

    // x's gradient array (cleared when new), for backward functions that hand it to parallel bodies.
    private static float[] GradArray(Tensor x)
    {
        _ = x.GradSpan;
        return x.Grad!;
    }

    // x's gradient array for a backward function that writes every element; see Tensor.GradForWrite.
    private static float[] GradForWriteArray(Tensor x, out bool accumulate)
    {
        _ = x.GradForWrite(out accumulate);
        return x.Grad!;
    }

    // destination += source, or destination = source when not accumulating.
    private static void AddOrCopy(ReadOnlySpan<float> source, Span<float> destination, bool accumulate)
    {
        if (accumulate) TensorPrimitives.Add(destination, source, destination);
        else source.CopyTo(destination);
    }

    internal static void SiluForward(ReadOnlySpan<float> x, Span<float> y)
    {
        TensorPrimitives.Sigmoid(x, y);
        TensorPrimitives.Multiply(x, y, y);
    }

    /// <summary>Error function via the Chebyshev-fitted erfc of Numerical Recipes (fractional error below 1.2e-7).</summary>
    internal static float Erf(float x)
    {
        double ax = Math.Abs(x);
        double t = 1.0 / (1.0 + 0.5 * ax);
        double y = 1.0 - t * Math.Exp(-ax * ax - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return (float)(x >= 0 ? y : -y);
    }

    private static void RequireSameShape(string op, Tensor a, Tensor b)
    {
        if (!a.Shape.AsSpan().SequenceEqual(b.Shape))
            throw new ArgumentException($"{op}: shapes {Tensor.Format(a.Shape)} and {Tensor.Format(b.Shape)} must be equal.");
    }
}
