// Binary arithmetic (add, sub, mul, div) with NumPy broadcasting. Three paths: equal shapes (TensorPrimitives over
// everything); one full operand and one broadcast over a contiguous run of dimensions — a bias (C) or (1, C), a
// middle (B, 1, C), a row scale (B, T, 1), a scalar — as TensorPrimitives calls on contiguous blocks; and the general
// per-element index mapping, which is also the reference the block path is tested against.
using System.Numerics.Tensors;

namespace Rebel.Tensors;

public static partial class Ops
{
    private enum BinaryKind { Add, Sub, Mul, Div }

    private static readonly string[] BinaryNames = ["add", "sub", "mul", "div"];

    /// <summary>The binary op through the general per-element path only (reference for tests of the block path).</summary>
    internal static Tensor BinaryReference(Tensor a, Tensor b, char op) => Binary(a, b, op switch
    {
        '+' => BinaryKind.Add,
        '-' => BinaryKind.Sub,
        '*' => BinaryKind.Mul,
        '/' => BinaryKind.Div,
        _ => throw new ArgumentException($"BinaryReference: unknown op '{op}'."),
    }, general: true);

    private static Tensor Binary(Tensor a, Tensor b, BinaryKind kind, bool general = false)
    {
        var shape = BroadcastShape(a.Shape, b.Shape, kind.ToString());
        if (AcceleratorOf(BinaryNames[(int)kind], a, b) is { } device)
        {
            var op = (DeviceBinary)(int)kind;
            var yd = new Tensor(shape, device.Binary(op, a, b, shape), isParameter: false);
            return Autograd.Record(yd, BinaryNames[(int)kind], [a, b], () =>
                device.BinaryBackward(op, a, b, yd.DeviceGrad, shape, GradIfNeeded(a), b == a ? null : GradIfNeeded(b)));
        }
        if (kind == BinaryKind.Add && !general && a.Shape.AsSpan().SequenceEqual(b.Shape)) return AddSameShape(a, b, shape);
        var y = Tensor.Uninitialized(shape);
        var plan = BroadcastPlan.Create(a.Shape, b.Shape, shape, general);
        if (plan.Blocks) BlockForward(kind, a.Span, b.Span, y.Span, plan);
        else BinaryForward(kind, a.Span, b.Span, y.Span, plan);
        return Autograd.Record(y, BinaryNames[(int)kind], [a, b], () =>
        {
            if (plan.Blocks) BlockBackward(kind, a, b, y, plan);
            else BinaryBackward(kind, a, b, y, plan);
        });
    }

    // a + b over equal shapes (residual connections): element-wise, split across threads when large.
    private static Tensor AddSameShape(Tensor a, Tensor b, int[] shape)
    {
        var y = Tensor.Uninitialized(shape);
        float[] ad = a.Data, bd = b.Data, yd = y.Data;
        int ao = a.Offset, bo = b.Offset;
        ForEachBlock(y.Size, (s, n) => TensorPrimitives.Add(ad.AsSpan(ao + s, n), bd.AsSpan(bo + s, n), yd.AsSpan(s, n)));
        return Autograd.Record(y, BinaryNames[(int)BinaryKind.Add], [a, b], () =>
        {
            float[] g = GradArray(y);
            bool accA = false, accB = false;
            float[]? ga = a.RequiresGrad ? GradForWriteArray(a, out accA) : null;
            float[]? gb = b.RequiresGrad && b != a ? GradForWriteArray(b, out accB) : null;
            if (b == a) gb = ga; // a + a: the second contribution always accumulates
            ForEachBlock(y.Size, (s, n) =>
            {
                var gs = g.AsSpan(s, n);
                if (ga is not null) AddOrCopy(gs, ga.AsSpan(s, n), accA);
                if (gb is not null) AddOrCopy(gs, gb.AsSpan(s, n), accB || b == a);
            });
        });
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

    // Block path: the full operand F and the output are (P, R, Q); the small operand S is (P, Q), repeated over R.
    // Block (p, r) is y[(p·R + r)·Q ..][..Q] = op(F block, S[p·Q ..][..Q]); with Q = 1 each p is one span-with-scalar call over R.
    private static void BlockForward(BinaryKind kind, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, BroadcastPlan plan)
    {
        int pCount = plan.P, r = plan.R, q = plan.Q;
        bool fullIsA = plan.FullIsA;
        var full = fullIsA ? a : b; var small = fullIsA ? b : a;
        for (int p = 0; p < pCount; p++)
        {
            if (q == 1)
            {
                int o = p * r;
                ApplyScalar(kind, full.Slice(o, r), small[p], y.Slice(o, r), scalarOnLeft: !fullIsA);
                continue;
            }
            var s = small.Slice(p * q, q);
            for (int j = 0; j < r; j++)
            {
                int o = (p * r + j) * q;
                if (fullIsA) ApplySpans(kind, full.Slice(o, q), s, y.Slice(o, q));
                else ApplySpans(kind, s, full.Slice(o, q), y.Slice(o, q));
            }
        }
    }

    private static void ApplySpans(BinaryKind kind, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        switch (kind)
        {
            case BinaryKind.Add: TensorPrimitives.Add(a, b, y); break;
            case BinaryKind.Sub: TensorPrimitives.Subtract(a, b, y); break;
            case BinaryKind.Mul: TensorPrimitives.Multiply(a, b, y); break;
            default: TensorPrimitives.Divide(a, b, y); break;
        }
    }

    private static void ApplyScalar(BinaryKind kind, ReadOnlySpan<float> x, float s, Span<float> y, bool scalarOnLeft)
    {
        switch (kind)
        {
            case BinaryKind.Add: TensorPrimitives.Add(x, s, y); break;
            case BinaryKind.Mul: TensorPrimitives.Multiply(x, s, y); break;
            case BinaryKind.Sub when scalarOnLeft: TensorPrimitives.Subtract(s, x, y); break;
            case BinaryKind.Sub: TensorPrimitives.Subtract(x, s, y); break;
            case BinaryKind.Div when scalarOnLeft: TensorPrimitives.Divide(s, x, y); break;
            default: TensorPrimitives.Divide(x, s, y); break;
        }
    }

    private static void BlockBackward(BinaryKind kind, Tensor a, Tensor b, Tensor y, BroadcastPlan plan)
    {
        int pCount = plan.P, r = plan.R, q = plan.Q;
        bool fullIsA = plan.FullIsA;
        var g = y.GradSpan; var av = a.Span; var bv = b.Span;
        var ga = a.RequiresGrad ? a.GradSpan : default;
        var gb = b.RequiresGrad ? b.GradSpan : default;
        for (int p = 0; p < pCount; p++)
        {
            for (int j = 0; j < (q == 1 ? 1 : r); j++)
            {
                // One block of the full operand against the matching part of the small one: (n elements, stride 1)
                // with either n = Q and one small row, or, when Q = 1, n = R against the single element small[p].
                int o = q == 1 ? p * r : (p * r + j) * q, n = q == 1 ? r : q, so = p * q;
                var gy = g.Slice(o, n);
                if (fullIsA) BlockGradients(kind, gy, av.Slice(o, n), bv.Slice(so, q), ga.IsEmpty ? default : ga.Slice(o, n), gb.IsEmpty ? default : gb.Slice(so, q), smallIsB: true);
                else BlockGradients(kind, gy, bv.Slice(o, n), av.Slice(so, q), gb.IsEmpty ? default : gb.Slice(o, n), ga.IsEmpty ? default : ga.Slice(so, q), smallIsB: false);
            }
        }
    }

    // Gradients of one block: f/gf the full operand's values and gradient (length n), s/gs the small one's (length n, or 1
    // broadcast over the block). smallIsB says which side of the op the small operand is on.
    private static void BlockGradients(BinaryKind kind, ReadOnlySpan<float> g, ReadOnlySpan<float> f, ReadOnlySpan<float> s,
        Span<float> gf, Span<float> gs, bool smallIsB)
    {
        bool scalar = s.Length == 1 && g.Length != 1;
        switch (kind)
        {
            case BinaryKind.Add:
            case BinaryKind.Sub:
                bool negateFull = kind == BinaryKind.Sub && !smallIsB, negateSmall = kind == BinaryKind.Sub && smallIsB;
                if (!gf.IsEmpty)
                {
                    if (negateFull) TensorPrimitives.Subtract(gf, g, gf);
                    else TensorPrimitives.Add(gf, g, gf);
                }
                if (!gs.IsEmpty)
                {
                    if (scalar) gs[0] += negateSmall ? -TensorPrimitives.Sum(g) : TensorPrimitives.Sum(g);
                    else if (negateSmall) TensorPrimitives.Subtract(gs, g, gs);
                    else TensorPrimitives.Add(gs, g, gs);
                }
                break;
            case BinaryKind.Mul:
                if (!gf.IsEmpty)
                {
                    if (scalar) TensorPrimitives.MultiplyAdd(g, s[0], gf, gf);
                    else TensorPrimitives.MultiplyAdd(g, s, gf, gf);
                }
                if (!gs.IsEmpty)
                {
                    if (scalar) gs[0] += TensorPrimitives.Dot(g, f);
                    else TensorPrimitives.MultiplyAdd(g, f, gs, gs);
                }
                break;
            default:
                // y = a / b. Small is b: ga += g / b, gb += −g·a / b². Small is a: ga += g / b, gb += −g·a / b² with roles swapped.
                for (int i = 0; i < g.Length; i++)
                {
                    int k = scalar ? 0 : i;
                    float num = smallIsB ? f[i] : s[k], den = smallIsB ? s[k] : f[i];
                    float gNum = g[i] / den, gDen = -g[i] * num / (den * den);
                    if (smallIsB)
                    {
                        if (!gf.IsEmpty) gf[i] += gNum;
                        if (!gs.IsEmpty) gs[k] += gDen;
                    }
                    else
                    {
                        if (!gs.IsEmpty) gs[k] += gNum;
                        if (!gf.IsEmpty) gf[i] += gDen;
                    }
                }
                break;
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

    /// <summary>Maps an output index of a broadcast binary op to the flat indices of its two inputs.</summary>
    private sealed class BroadcastPlan
    {
        private readonly int[] outShape, stridesA, stridesB;
        private readonly int sizeA, sizeB;
        private readonly bool suffixA, suffixB;

        /// <summary>Both inputs have the output's size: flat indices coincide.</summary>
        public bool Same { get; }

        /// <summary>One input is full and the other repeats over a contiguous run of output dimensions: see <see cref="BlockForward"/>.</summary>
        public bool Blocks { get; }

        /// <summary>For <see cref="Blocks"/>: true when a is the full operand.</summary>
        public bool FullIsA { get; }

        /// <summary>For <see cref="Blocks"/>: the output is (P, R, Q) and the small operand (P, Q).</summary>
        public int P { get; }

        /// <inheritdoc cref="P"/>
        public int R { get; }

        /// <inheritdoc cref="P"/>
        public int Q { get; }

        private BroadcastPlan(int[] a, int[] b, int[] shape, bool general)
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
            if (general || Same || (sizeA != outSize && sizeB != outSize)) return;
            FullIsA = sizeA == outSize;
            var small = FullIsA ? b : a;
            // Output dimensions (ignoring those of size 1) split as [P dims][R dims, broadcast in small][Q dims]; the run must be contiguous.
            int first = -1, last = -1;
            for (int d = 0; d < shape.Length; d++)
            {
                int sd = d - (shape.Length - small.Length) >= 0 ? small[d - (shape.Length - small.Length)] : 1;
                if (sd != 1 || shape[d] == 1) continue;
                if (first < 0) first = d;
                last = d;
            }
            int p = 1, r = 1, q = 1;
            for (int d = 0; d < shape.Length; d++)
            {
                if (d < first) p *= shape[d];
                else if (d > last) q *= shape[d];
                else r *= shape[d];
            }
            if (p * q != (FullIsA ? sizeB : sizeA)) return; // some broadcast dimension lies outside the run
            (Blocks, P, R, Q) = (true, p, r, q);
        }

        public static BroadcastPlan Create(int[] a, int[] b, int[] shape, bool general) => new(a, b, shape, general);

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
