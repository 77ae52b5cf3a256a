// The bounded e^v = 2ⁿ·P(r), r = v − n·ln 2, P a degree-6 Taylor polynomial, that the GELU kernels (x·σ(2u)) build on, and the
// fast tanh(u) = sign(u)·(1 − 2/(e^(2|u|) + 1)) made from it for attention's logit soft-capping (c·tanh(u/c), Gemma 2).
// Absolute error below 3e-7. TensorPrimitives.Tanh is scalar on this runtime (~17 ns/element); this path is ~20x faster.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rebel.Tensors;

public static partial class Ops
{
    private const float TanhClamp = 9f, Log2E = 1.44269504f, Ln2Hi = 0.693145752f, Ln2Lo = 1.42860677e-6f;

    /// <summary>Largest |v| the bounded e^v accepts: 2ⁿ stays a normal float for |n| ≤ 126.</summary>
    private const float ExpBound = 87f;

    /// <summary>y = tanh(x) element-wise (absolute error &lt; 3e-7); Vector512 / Vector256 paths with a scalar tail.</summary>
    internal static void TanhFast(ReadOnlySpan<float> x, Span<float> y) => TanhFast(x, y, 512);

    /// <summary><see cref="TanhFast(ReadOnlySpan{float}, Span{float})"/> using vectors of at most <paramref name="maxBits"/> bits (tests cover each path).</summary>
    internal static void TanhFast(ReadOnlySpan<float> x, Span<float> y, int maxBits)
    {
        if (y.Length < x.Length) throw new ArgumentException("TanhFast: destination is shorter than the source.");
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (maxBits >= 512 && Vector512.IsHardwareAccelerated)
            for (; i <= x.Length - 16; i += 16) Tanh512(Vector512.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        else if (maxBits >= 256 && Vector256.IsHardwareAccelerated)
            for (; i <= x.Length - 8; i += 8) Tanh256(Vector256.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        for (; i < x.Length; i++) y[i] = TanhScalar(x[i]);
    }

    /// <summary>Scalar reference of the same formula.</summary>
    internal static float TanhScalar(float u)
    {
        float e = ExpBoundedScalar(2f * MathF.Min(MathF.Abs(u), TanhClamp));
        return MathF.CopySign(1f - 2f / (e + 1f), u);
    }

    /// <summary>e^v for |v| ≤ <see cref="ExpBound"/> (callers clamp): 2ⁿ·P(r), r = v − n·ln 2, P the degree-6 Taylor polynomial.</summary>
    internal static float ExpBoundedScalar(float v)
    {
        float n = MathF.Round(v * Log2E);
        float r = v - n * Ln2Hi - n * Ln2Lo;
        float p = 1f + r * (1f + r * (0.5f + r * (1f / 6 + r * (1f / 24 + r * (1f / 120 + r * (1f / 720))))));
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tanh512(Vector512<float> u)
    {
        var e = ExpBounded512(Vector512.Min(Vector512.Abs(u), Vector512.Create(TanhClamp)) * 2f);
        var t = Vector512<float>.One - Vector512.Create(2f) / (e + Vector512<float>.One);
        return t | (u & Vector512.Create(-0f));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Tanh256(Vector256<float> u)
    {
        var e = ExpBounded256(Vector256.Min(Vector256.Abs(u), Vector256.Create(TanhClamp)) * 2f);
        var t = Vector256<float>.One - Vector256.Create(2f) / (e + Vector256<float>.One);
        return t | (u & Vector256.Create(-0f));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ExpBounded512(Vector512<float> v)
    {
        var n = Vector512.Round(v * Log2E);
        var r = v - n * Ln2Hi - n * Ln2Lo;
        var p = Vector512.Create(1f / 720);
        p = p * r + Vector512.Create(1f / 120);
        p = p * r + Vector512.Create(1f / 24);
        p = p * r + Vector512.Create(1f / 6);
        p = p * r + Vector512.Create(0.5f);
        p = p * r + Vector512<float>.One;
        p = p * r + Vector512<float>.One;
        return p * Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ExpBounded256(Vector256<float> v)
    {
        var n = Vector256.Round(v * Log2E);
        var r = v - n * Ln2Hi - n * Ln2Lo;
        var p = Vector256.Create(1f / 720);
        p = p * r + Vector256.Create(1f / 120);
        p = p * r + Vector256.Create(1f / 24);
        p = p * r + Vector256.Create(1f / 6);
        p = p * r + Vector256.Create(0.5f);
        p = p * r + Vector256<float>.One;
        p = p * r + Vector256<float>.One;
        return p * Vector256.ShiftLeft(Vector256.ConvertToInt32(n) + Vector256.Create(127), 23).AsSingle();
    }
}
