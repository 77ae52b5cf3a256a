// The inner loops of few-query attention (decode steps): one query's dot products with a run of cached keys, and the
// probability-weighted sum of the cached values. Per key, the library calls these replaced (TensorPrimitives.Dot and
// MultiplyAdd on 64 floats) cost more in call overhead and in loading and storing the output row than in arithmetic; these
// keep the output row in registers across all keys. Scalar references beside them; tests compare every path.
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rebel.Tensors.Kernels;

/// <summary>Dot products of a query with cached keys, and weighted sums of cached values (rows <c>stride</c> floats apart).</summary>
public static class AttentionKernels
{
    /// <summary>
    /// scores[s] = q · keys[s·stride .. s·stride + q.Length) for s in [first, last], using vectors of at most
    /// <paramref name="maxBits"/> bits (tests cover each path).
    /// </summary>
    public static void Scores(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, int stride, int first, int last, Span<float> scores, int maxBits = 512)
    {
        int d = q.Length;
        Check(d, keys.Length, stride, last, scores.Length);
        if (maxBits >= 512 && Vector512.IsHardwareAccelerated && d % 16 == 0)
        {
            ref float qr = ref MemoryMarshal.GetReference(q);
            ref float kr = ref MemoryMarshal.GetReference(keys);
            for (int s = first; s <= last; s++)
            {
                ref float row = ref Unsafe.Add(ref kr, s * stride);
                var acc0 = Vector512<float>.Zero; var acc1 = Vector512<float>.Zero;
                int i = 0;
                for (; i + 32 <= d; i += 32)
                {
                    acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref qr, (nuint)i), Vector512.LoadUnsafe(ref row, (nuint)i), acc0);
                    acc1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref qr, (nuint)(i + 16)), Vector512.LoadUnsafe(ref row, (nuint)(i + 16)), acc1);
                }
                if (i < d) acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref qr, (nuint)i), Vector512.LoadUnsafe(ref row, (nuint)i), acc0);
                scores[s] = Vector512.Sum(acc0 + acc1);
            }
        }
        else if (maxBits >= 256 && Vector256.IsHardwareAccelerated && d % 8 == 0)
        {
            ref float qr = ref MemoryMarshal.GetReference(q);
            ref float kr = ref MemoryMarshal.GetReference(keys);
            for (int s = first; s <= last; s++)
            {
                ref float row = ref Unsafe.Add(ref kr, s * stride);
                var acc = Vector256<float>.Zero;
                for (int i = 0; i < d; i += 8)
                    acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref qr, (nuint)i), Vector256.LoadUnsafe(ref row, (nuint)i), acc);
                scores[s] = Vector256.Sum(acc);
            }
        }
        else
        {
            for (int s = first; s <= last; s++) scores[s] = TensorPrimitives.Dot(q, keys.Slice(s * stride, d));
        }
    }

    /// <summary>
    /// y = Σ_{s in [first, last]} p[s] · values[s·stride .. s·stride + y.Length) (y overwritten), using vectors of at most
    /// <paramref name="maxBits"/> bits.
    /// </summary>
    public static void WeightedSum(ReadOnlySpan<float> p, ReadOnlySpan<float> values, int stride, int first, int last, Span<float> y, int maxBits = 512)
    {
        int d = y.Length;
        Check(d, values.Length, stride, last, p.Length);
        if (maxBits >= 512 && Vector512.IsHardwareAccelerated && d % 16 == 0)
        {
            ref float vr = ref MemoryMarshal.GetReference(values);
            ref float yr = ref MemoryMarshal.GetReference(y);
            int c = 0;
            for (; c + 64 <= d; c += 64) // 64 output floats (4 vectors) stay in registers across every key
            {
                var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero; var a2 = Vector512<float>.Zero; var a3 = Vector512<float>.Zero;
                for (int s = first; s <= last; s++)
                {
                    ref float row = ref Unsafe.Add(ref vr, s * stride + c);
                    var w = Vector512.Create(p[s]);
                    a0 = Vector512.FusedMultiplyAdd(w, Vector512.LoadUnsafe(ref row), a0);
                    a1 = Vector512.FusedMultiplyAdd(w, Vector512.LoadUnsafe(ref row, 16), a1);
                    a2 = Vector512.FusedMultiplyAdd(w, Vector512.LoadUnsafe(ref row, 32), a2);
                    a3 = Vector512.FusedMultiplyAdd(w, Vector512.LoadUnsafe(ref row, 48), a3);
                }
                a0.StoreUnsafe(ref yr, (nuint)c); a1.StoreUnsafe(ref yr, (nuint)(c + 16));
                a2.StoreUnsafe(ref yr, (nuint)(c + 32)); a3.StoreUnsafe(ref yr, (nuint)(c + 48));
            }
            for (; c < d; c += 16)
            {
                var a = Vector512<float>.Zero;
                for (int s = first; s <= last; s++) a = Vector512.FusedMultiplyAdd(Vector512.Create(p[s]), Vector512.LoadUnsafe(ref vr, (nuint)(s * stride + c)), a);
                a.StoreUnsafe(ref yr, (nuint)c);
            }
        }
        else if (maxBits >= 256 && Vector256.IsHardwareAccelerated && d % 8 == 0)
        {
            ref float vr = ref MemoryMarshal.GetReference(values);
            ref float yr = ref MemoryMarshal.GetReference(y);
            for (int c = 0; c < d; c += 8)
            {
                var a = Vector256<float>.Zero;
                for (int s = first; s <= last; s++) a = Vector256.FusedMultiplyAdd(Vector256.Create(p[s]), Vector256.LoadUnsafe(ref vr, (nuint)(s * stride + c)), a);
                a.StoreUnsafe(ref yr, (nuint)c);
            }
        }
        else
        {
            y.Clear();
            for (int s = first; s <= last; s++) TensorPrimitives.MultiplyAdd(values.Slice(s * stride, d), p[s], y, y);
        }
    }

    /// <summary>The scalar definition of <see cref="Scores"/>, summed in double.</summary>
    public static void ScoresReference(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, int stride, int first, int last, Span<float> scores)
    {
        for (int s = first; s <= last; s++)
        {
            double sum = 0;
            for (int i = 0; i < q.Length; i++) sum += (double)q[i] * keys[s * stride + i];
            scores[s] = (float)sum;
        }
    }

    /// <summary>The scalar definition of <see cref="WeightedSum"/>, summed in double.</summary>
    public static void WeightedSumReference(ReadOnlySpan<float> p, ReadOnlySpan<float> values, int stride, int first, int last, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++)
        {
            double sum = 0;
            for (int s = first; s <= last; s++) sum += (double)p[s] * values[s * stride + i];
            y[i] = (float)sum;
        }
    }

    private static void Check(int d, int rows, int stride, int last, int scores)
    {
        if (last >= scores) throw new ArgumentException($"Attention kernel: key {last} beyond the {scores} scores.");
        if (last >= 0 && (long)last * stride + d > rows) throw new ArgumentException($"Attention kernel: key {last} (stride {stride}, width {d}) beyond {rows} floats.");
    }
}
