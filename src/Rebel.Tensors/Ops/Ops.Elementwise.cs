// Element-wise ops: binary arithmetic with NumPy broadcasting, scalar forms, and unary activations.
// Each op's forward and backward sit together; backward accumulates into the inputs' gradients with +=.
using System.Numerics.Tensors;

namespace Rebel.Tensors;

/// <summary>Differentiable tensor operations.</summary>
public static partial class Ops
{
    private delegate void SpanMap(ReadOnlySpan<float> x, Span<float> y);
    private delegate void SpanGrad(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> gx);

    private enum BinaryKind { Add, Sub, Mul, Div }

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
        var y = Tensor.Uninitialized(a.Shape);
        TensorPrimitives.Add(a.Span, s, y.Span);
        return Autograd.Record(y, "add_scalar", [a], () => TensorPrimitives.Add(a.GradSpan, y.GradSpan, a.GradSpan));
    }

    /// <summary>a · s.</summary>
    public static Tensor Mul(Tensor a, float s)
    {
        var y = Tensor.Uninitialized(a.Shape);
        TensorPrimitives.Multiply(a.Span, s, y.Span);
        return Autograd.Record(y, "mul_scalar", [a], () => TensorPrimitives.MultiplyAdd(y.GradSpan, s, a.GradSpan, a.GradSpan));
    }

    /// <summary>−a.</summary>
    public static Tensor Neg(Tensor a) => Mul(a, -1f);

    /// <summary>eˣ.</summary>
    public static Tensor Exp(Tensor a) => Unary(a, "exp", static (x, y) => TensorPrimitives.Exp(x, y),
        static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += g[i] * y[i]; });

    /// <summary>ln x.</summary>
    public static Tensor Log(Tensor a) => Unary(a, "log", static (x, y) => TensorPrimitives.Log(x, y),
        static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += g[i] / x[i]; });

    /// <summary>√x.</summary>
    public static Tensor Sqrt(Tensor a) => Unary(a, "sqrt", static (x, y) => TensorPrimitives.Sqrt(x, y),
        static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += g[i] * 0.5f / y[i]; });

    /// <summary>tanh x.</summary>
    public static Tensor Tanh(Tensor a) => Unary(a, "tanh", static (x, y) => TensorPrimitives.Tanh(x, y),
        static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += g[i] * (1f - y[i] * y[i]); });

    /// <summary>σ(x) = 1 / (1 + e⁻ˣ).</summary>
    public static Tensor Sigmoid(Tensor a) => Unary(a, "sigmoid", static (x, y) => TensorPrimitives.Sigmoid(x, y),
        static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += g[i] * y[i] * (1f - y[i]); });

    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor a) => Unary(a, "relu", static (x, y) => TensorPrimitives.Max(x, 0f, y),
        static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) if (x[i] > 0) gx[i] += g[i]; });

    /// <summary>x·σ(x) (SiLU / swish).</summary>
    public static Tensor Silu(Tensor a) => Unary(a, "silu", static (x, y) => SiluForward(x, y),
        static (x, y, g, gx) =>
        {
            for (int i = 0; i < gx.Length; i++)
            {
                float s = 1f / (1f + MathF.Exp(-x[i]));
                gx[i] += g[i] * (s + x[i] * s * (1f - s));
            }
        });

    /// <summary>GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (GPT-2's "gelu_new").</summary>
    public static Tensor Gelu(Tensor a) => Unary(a, "gelu", static (x, y) => GeluForward(x, y),
        static (x, y, g, gx) => GeluBackward(x, g, gx));

    /// <summary>GELU, exact erf form: 0.5·x·(1 + erf(x/√2)) (GPT-NeoX's "gelu").</summary>
    public static Tensor GeluExact(Tensor a) => Unary(a, "gelu_exact", static (x, y) =>
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

    private static Tensor Unary(Tensor a, string name, SpanMap forward, SpanGrad backward)
    {
        var y = Tensor.Uninitialized(a.Shape);
        forward(a.Span, y.Span);
        return Autograd.Record(y, name, [a], () => backward(a.Span, y.Span, y.GradSpan, a.GradSpan));
    }

    internal static void SiluForward(ReadOnlySpan<float> x, Span<float> y)
    {
        TensorPrimitives.Sigmoid(x, y);
        TensorPrimitives.Multiply(x, y, y);
    }

    private const float GeluC = 0.7978845608f, GeluK = 0.044715f;

    // y = 0.5·x·(1 + tanh(u)), u = c·x·(1 + k·x²); vectorised through TensorPrimitives in chunks that stay in L1.
    internal static void GeluForward(ReadOnlySpan<float> x, Span<float> y)
    {
        Span<float> u = stackalloc float[Math.Min(x.Length, 512)];
        for (int start = 0; start < x.Length; start += u.Length)
        {
            int n = Math.Min(u.Length, x.Length - start);
            var xs = x.Slice(start, n); var ys = y.Slice(start, n); var us = u[..n];
            TensorPrimitives.Multiply(xs, xs, us);
            TensorPrimitives.Multiply(us, GeluC * GeluK, us);
            TensorPrimitives.Add(us, GeluC, us);
            TensorPrimitives.Multiply(us, xs, us);
            TanhFast(us, us);
            TensorPrimitives.Multiply(us, 0.5f, us);
            TensorPrimitives.Add(us, 0.5f, us);
            TensorPrimitives.Multiply(us, xs, ys);
        }
    }

    // gx += g · (0.5·(1 + t) + 0.5·x·(1 − t²)·c·(1 + 3k·x²)), t = tanh(u); scalar reference: GeluBackwardReference.
    internal static void GeluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> gx)
    {
        int chunk = Math.Min(x.Length, 512);
        Span<float> s = stackalloc float[chunk], t = stackalloc float[chunk], d = stackalloc float[chunk];
        for (int start = 0; start < x.Length; start += chunk)
        {
            int n = Math.Min(chunk, x.Length - start);
            var xs = x.Slice(start, n); var ss = s[..n]; var ts = t[..n]; var ds = d[..n];
            TensorPrimitives.Multiply(xs, xs, ss); // x²
            TensorPrimitives.Multiply(ss, GeluC * GeluK, ts);
            TensorPrimitives.Add(ts, GeluC, ts);
            TensorPrimitives.Multiply(ts, xs, ts);
            TanhFast(ts, ts); // t
            TensorPrimitives.Multiply(ss, 3f * GeluC * GeluK, ss);
            TensorPrimitives.Add(ss, GeluC, ss); // du/dx
            TensorPrimitives.Multiply(ts, ts, ds);
            TensorPrimitives.Subtract(1f, ds, ds); // 1 − t²
            TensorPrimitives.Multiply(ds, ss, ds);
            TensorPrimitives.Multiply(ds, xs, ds);
            TensorPrimitives.Add(ds, ts, ds);
            TensorPrimitives.Multiply(ds, 0.5f, ds);
            TensorPrimitives.Add(ds, 0.5f, ds); // 0.5·(1 + t) + 0.5·x·(1 − t²)·du
            var gs = gx.Slice(start, n);
            TensorPrimitives.MultiplyAdd(g.Slice(start, n), ds, gs, gs);
        }
    }

    internal static void GeluBackwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> gx)
    {
        for (int i = 0; i < gx.Length; i++)
        {
            float v = x[i], t = TanhScalar(GeluC * (v + GeluK * v * v * v));
            float du = GeluC * (1f + 3f * GeluK * v * v);
            gx[i] += g[i] * (0.5f * (1f + t) + 0.5f * v * (1f - t * t) * du);
        }
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

    private static Tensor Binary(Tensor a, Tensor b, BinaryKind kind)
    {
        var shape = BroadcastShape(a.Shape, b.Shape, kind.ToString());
        var y = Tensor.Uninitialized(shape);
        var plan = BroadcastPlan.Create(a.Shape, b.Shape, shape);
        BinaryForward(kind, a.Span, b.Span, y.Span, plan);
        return Autograd.Record(y, kind.ToString().ToLowerInvariant(), [a, b], () => BinaryBackward(kind, a, b, y, plan));
    }

    private static void BinaryForward(BinaryKind kind, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, BroadcastPlan plan)
    {
        if (plan.Same)
        {
            switch (kind)
            {
                case BinaryKind.Add: TensorPrimitives.Add(a, b, y); break;
                case BinaryKind.Sub: TensorPrimitives.Subtract(a, b, y); break;
                case BinaryKind.Mul: TensorPrimitives.Multiply(a, b, y); break;
                default: TensorPrimitives.Divide(a, b, y); break;
            }
            return;
        }
        for (int i = 0; i < y.Length; i++)
        {
            float av = a[plan.IndexA(i)], bv = b[plan.IndexB(i)];
            y[i] = kind switch { BinaryKind.Add => av + bv, BinaryKind.Sub => av - bv, BinaryKind.Mul => av * bv, _ => av / bv };
        }
    }

    private static void BinaryBackward(BinaryKind kind, Tensor a, Tensor b, Tensor y, BroadcastPlan plan)
    {
        var g = y.GradSpan;
        var av = a.Span; var bv = b.Span;
        if (a.RequiresGrad)
        {
            var ga = a.GradSpan;
            if (plan.Same && kind is BinaryKind.Add or BinaryKind.Sub) TensorPrimitives.Add(ga, g, ga);
            else if (plan.Same && kind == BinaryKind.Mul) TensorPrimitives.MultiplyAdd(g, bv, ga, ga);
            else
            {
                for (int i = 0; i < g.Length; i++)
                {
                    int ia = plan.IndexA(i), ib = plan.IndexB(i);
                    ga[ia] += kind switch { BinaryKind.Add or BinaryKind.Sub => g[i], BinaryKind.Mul => g[i] * bv[ib], _ => g[i] / bv[ib] };
                }
            }
        }
        if (b.RequiresGrad)
        {
            var gb = b.GradSpan;
            if (plan.Same && kind == BinaryKind.Add) TensorPrimitives.Add(gb, g, gb);
            else if (plan.Same && kind == BinaryKind.Mul) TensorPrimitives.MultiplyAdd(g, av, gb, gb);
            else
            {
                for (int i = 0; i < g.Length; i++)
                {
                    int ia = plan.IndexA(i), ib = plan.IndexB(i);
                    gb[ib] += kind switch
                    {
                        BinaryKind.Add => g[i],
                        BinaryKind.Sub => -g[i],
                        BinaryKind.Mul => g[i] * av[ia],
                        _ => -g[i] * av[ia] / (bv[ib] * bv[ib]),
                    };
                }
            }
        }
    }

    private static int[] BroadcastShape(int[] a, int[] b, string op)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Tensor.Format(a)} and {Tensor.Format(b)} cannot be broadcast together.");
            shape[i] = da == 1 ? db : da;
        }
        return shape;
    }

    private static void RequireSameShape(string op, Tensor a, Tensor b)
    {
        if (!a.Shape.AsSpan().SequenceEqual(b.Shape))
            throw new ArgumentException($"{op}: shapes {Tensor.Format(a.Shape)} and {Tensor.Format(b.Shape)} must be equal.");
    }

    /// <summary>Maps an output index of a broadcast binary op to the flat indices of its two inputs.</summary>
    private sealed class BroadcastPlan
    {
        private readonly int[] outShape, stridesA, stridesB;
        private readonly int sizeA, sizeB;
        private readonly bool suffixA, suffixB;

        public bool Same { get; }

        private BroadcastPlan(int[] a, int[] b, int[] shape)
        {
            outShape = shape;
            sizeA = Tensor.ShapeSize(a);
            sizeB = Tensor.ShapeSize(b);
            int outSize = Tensor.ShapeSize(shape);
            Same = sizeA == outSize && sizeB == outSize;
            suffixA = IsSuffix(a, shape);
            suffixB = IsSuffix(b, shape);
            stridesA = Strides(a, shape);
            stridesB = Strides(b, shape);
        }

        public static BroadcastPlan Create(int[] a, int[] b, int[] shape) => new(a, b, shape);

        public int IndexA(int i) => suffixA ? i % Math.Max(sizeA, 1) : Map(i, stridesA);

        public int IndexB(int i) => suffixB ? i % Math.Max(sizeB, 1) : Map(i, stridesB);

        private int Map(int i, int[] strides)
        {
            int index = 0;
            for (int d = outShape.Length - 1; d >= 0; d--)
            {
                int coord = i % outShape[d];
                i /= outShape[d];
                index += coord * strides[d];
            }
            return index;
        }

        // True when the input's elements repeat whole over the output (its shape equals the output's trailing dims, or it is a scalar).
        private static bool IsSuffix(int[] x, int[] shape)
        {
            int lead = 0;
            while (lead < x.Length && x[lead] == 1) lead++;
            int n = x.Length - lead;
            for (int i = 0; i < n; i++) if (x[lead + i] != shape[shape.Length - n + i]) return false;
            return true;
        }

        private static int[] Strides(int[] x, int[] shape)
        {
            var strides = new int[shape.Length];
            int stride = 1;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                int xd = d - (shape.Length - x.Length);
                int size = xd >= 0 ? x[xd] : 1;
                strides[d] = size == 1 ? 0 : stride;
                stride *= size;
            }
            return strides;
        }
    }
}
