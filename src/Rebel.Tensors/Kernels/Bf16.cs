// bfloat16 storage for frozen weights: the upper 16 bits of a float32 (8-bit exponent, 7-bit mantissa). Narrowing rounds to
// nearest even; widening is exact (a shift). Compute stays float32: .NET has no bf16 arithmetic intrinsics.
using System.Runtime.Intrinsics;

namespace Rebel.Tensors.Kernels;

/// <summary>float32 ↔ bfloat16 conversion, vectorised with a scalar reference beside each path.</summary>
public static class Bf16
{
    /// <summary>bfloat16 bits of <paramref name="x"/>, rounded to nearest even; NaN stays NaN (quiet).</summary>
    public static ushort FromSingle(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>The float32 value of bfloat16 bits (exact).</summary>
    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>Narrows <paramref name="source"/> into <paramref name="destination"/> (same length).</summary>
    public static void Narrow(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException($"Bf16.Narrow: destination of {destination.Length} is shorter than the source of {source.Length}.");
        for (int i = 0; i < source.Length; i++) destination[i] = FromSingle(source[i]);
    }

    /// <summary>Widens <paramref name="source"/> into <paramref name="destination"/> (same length): Vector512, Vector256, then scalar.</summary>
    public static void Widen(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException($"Bf16.Widen: destination of {destination.Length} is shorter than the source of {source.Length}.");
        int i = 0, n = source.Length;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 32 <= n; i += 32)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Create(source.Slice(i, 32)));
                Vector512.ShiftLeft(lo, 16).AsSingle().CopyTo(destination.Slice(i, 16));
                Vector512.ShiftLeft(hi, 16).AsSingle().CopyTo(destination.Slice(i + 16, 16));
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Create(source.Slice(i, 16)));
                Vector256.ShiftLeft(lo, 16).AsSingle().CopyTo(destination.Slice(i, 8));
                Vector256.ShiftLeft(hi, 16).AsSingle().CopyTo(destination.Slice(i + 8, 8));
            }
        }
        for (; i < n; i++) destination[i] = ToSingle(source[i]);
    }

    /// <summary>Scalar reference of <see cref="Widen"/>.</summary>
    public static void WidenReference(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = ToSingle(source[i]);
    }
}
