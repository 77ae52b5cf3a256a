// GELU (tanh form): the op and its kernels, one pass over memory: 0.5·(1 + tanh(u)) = σ(2u), so y = x·σ(2u) with u = c·(x + k·x³),
// and dy/dx = s·(1 + x·(1 − s)·2c·(1 + 3k·x²)) with s = σ(2u) and 1 − s computed as e^(−2u)·s (no cancellation). σ uses the bounded e^v of Ops.Tanh.cs and is exactly 0
// once e^(−2u) passes e^87; x in the slope's polynomial is clamped to ±87 (there s is 0 or 1), so no inf·0 appears.
// Vector512 / Vector256 paths with a scalar tail; the scalar functions are the reference the tests compare against.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rebel.Tensors;

public static partial class Ops
{
    private const float GeluC = 0.7978845608f, GeluK = 0.044715f;

    /// <summary>GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (GPT-2's "gelu_new").</summary>
    public static Tensor Gelu(Tensor a)
    {
        if (AcceleratorOf(a) is { } device)
        {
            var yd = new Tensor((int[])a.Shape.Clone(), device.Unary(DeviceUnary.GeluTanh, a), isParameter: false);
            return Autograd.Record(yd, "gelu", [a], () => device.UnaryBackward(DeviceUnary.GeluTanh, a, yd, yd.DeviceGrad, a.DeviceGrad));
        }
        var y = Tensor.Uninitialized(a.Shape);
        float[] x = a.Data, ya = y.Data;
        int xo = a.Offset;
        ForEachBlock(a.Size, (s, n) => GeluForward(x.AsSpan(xo + s, n), ya.AsSpan(s, n)));
        return Autograd.Record(y, "gelu", [a], () =>
        {
            float[] g = GradArray(y);
            float[] gx = GradForWriteArray(a, out bool accumulate);
            ForEachBlock(a.Size, (s, n) => GeluBackward(x.AsSpan(xo + s, n), g.AsSpan(s, n), gx.AsSpan(s, n), accumulate));
        });
    }

    /// <summary>y = GELU(x) element-wise, using vectors of at most <paramref name="maxBits"/> bits (tests cover each path).</summary>
    internal static void GeluForward(ReadOnlySpan<float> x, Span<float> y, int maxBits = 512)
    {
        if (y.Length < x.Length) throw new ArgumentException("GeluForward: destination is shorter than the source.");
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (maxBits >= 512 && Vector512.IsHardwareAccelerated)
        {
            for (; i <= x.Length - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref xr, (nuint)i);
                (v * GeluSigmoid512(v).S).StoreUnsafe(ref yr, (nuint)i);
            }
        }
        else if (maxBits >= 256 && Vector256.IsHardwareAccelerated)
        {
            for (; i <= x.Length - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref xr, (nuint)i);
                (v * GeluSigmoid256(v).S).StoreUnsafe(ref yr, (nuint)i);
            }
        }
        for (; i < x.Length; i++) y[i] = GeluScalar(x[i]);
    }

    /// <summary>gx += g · GELU′(x) element-wise (gx = when not <paramref name="accumulate"/>), using vectors of at most <paramref name="maxBits"/> bits.</summary>
    internal static void GeluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> gx, bool accumulate = true, int maxBits = 512)
    {
        if (g.Length < x.Length || gx.Length < x.Length) throw new ArgumentException("GeluBackward: gradient buffers are shorter than the input.");
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float dr = ref MemoryMarshal.GetReference(gx);
        int i = 0;
        if (maxBits >= 512 && Vector512.IsHardwareAccelerated)
        {
            for (; i <= x.Length - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref xr, (nuint)i);
                var (s, e) = GeluSigmoid512(v);
                var vc = Vector512.Min(Vector512.Max(v, Vector512.Create(-ExpBound)), Vector512.Create(ExpBound));
                var du = Vector512.Create(2f * GeluC) + Vector512.Create(6f * GeluC * GeluK) * vc * vc;
                var slope = s * (Vector512<float>.One + vc * (e * s) * du);
                var d = Vector512.LoadUnsafe(ref gr, (nuint)i) * slope;
                (accumulate ? Vector512.LoadUnsafe(ref dr, (nuint)i) + d : d).StoreUnsafe(ref dr, (nuint)i);
            }
        }
        else if (maxBits >= 256 && Vector256.IsHardwareAccelerated)
        {
            for (; i <= x.Length - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref xr, (nuint)i);
                var (s, e) = GeluSigmoid256(v);
                var vc = Vector256.Min(Vector256.Max(v, Vector256.Create(-ExpBound)), Vector256.Create(ExpBound));
                var du = Vector256.Create(2f * GeluC) + Vector256.Create(6f * GeluC * GeluK) * vc * vc;
                var slope = s * (Vector256<float>.One + vc * (e * s) * du);
                var d = Vector256.LoadUnsafe(ref gr, (nuint)i) * slope;
                (accumulate ? Vector256.LoadUnsafe(ref dr, (nuint)i) + d : d).StoreUnsafe(ref dr, (nuint)i);
            }
        }
        for (; i < x.Length; i++) gx[i] = (accumulate ? gx[i] : 0f) + g[i] * GeluSlopeScalar(x[i]);
    }

    /// <summary>Scalar reference: GELU(x) = x·σ(2u).</summary>
    internal static float GeluScalar(float x) => x * GeluSigmoidScalar(x).S;

    /// <summary>Scalar reference: GELU′(x) = s·(1 + x·(1 − s)·2c·(1 + 3k·x²)), s = σ(2u).</summary>
    internal static float GeluSlopeScalar(float x)
    {
        var (s, e) = GeluSigmoidScalar(x);
        float xc = MathF.Min(MathF.Max(x, -ExpBound), ExpBound);
        return s * (1f + xc * (e * s) * (2f * GeluC + 6f * GeluC * GeluK * xc * xc));
    }

    // S = σ(2u) = 1 / (1 + E), E = e^v, v = −2u = −2c·x·(1 + k·x²) clamped to ±ExpBound; S = 0 where v > ExpBound.
    private static (float S, float E) GeluSigmoidScalar(float x)
    {
        float v = -2f * GeluC * x * (1f + GeluK * x * x);
        float e = ExpBoundedScalar(MathF.Min(MathF.Max(v, -ExpBound), ExpBound));
        return (v > ExpBound ? 0f : 1f / (1f + e), e);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> S, Vector512<float> E) GeluSigmoid512(Vector512<float> x)
    {
        var v = x * (Vector512.Create(-2f * GeluC) + Vector512.Create(-2f * GeluC * GeluK) * x * x);
        var e = ExpBounded512(Vector512.Min(Vector512.Max(v, Vector512.Create(-ExpBound)), Vector512.Create(ExpBound)));
        var s = Vector512<float>.One / (Vector512<float>.One + e);
        return (Vector512.AndNot(s, Vector512.GreaterThan(v, Vector512.Create(ExpBound))), e);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> S, Vector256<float> E) GeluSigmoid256(Vector256<float> x)
    {
        var v = x * (Vector256.Create(-2f * GeluC) + Vector256.Create(-2f * GeluC * GeluK) * x * x);
        var e = ExpBounded256(Vector256.Min(Vector256.Max(v, Vector256.Create(-ExpBound)), Vector256.Create(ExpBound)));
        var s = Vector256<float>.One / (Vector256<float>.One + e);
        return (Vector256.AndNot(s, Vector256.GreaterThan(v, Vector256.Create(ExpBound))), e);
    }
}
