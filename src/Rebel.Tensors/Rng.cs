// A seeded, splittable random number generator (xoshiro256**), passed explicitly wherever randomness is used,
// with a state that can be saved in checkpoints so a resumed run draws the same numbers.
namespace Rebel.Tensors;

/// <summary>Deterministic random numbers. Never global: construct with a seed and pass it along.</summary>
public sealed class Rng
{
    private ulong s0, s1, s2, s3;
    private double spareNormal;
    private bool hasSpare;

    /// <summary>A generator seeded with <paramref name="seed"/> through SplitMix64.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        s0 = SplitMix(ref x); s1 = SplitMix(ref x); s2 = SplitMix(ref x); s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, 1) as float.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), "NextInt: n must be positive.");
        return (int)(NextDouble() * n);
    }

    /// <summary>Standard normal sample (Box–Muller, caching the spare).</summary>
    public double NextNormal()
    {
        if (hasSpare) { hasSpare = false; return spareNormal; }
        double u1, u2;
        do { u1 = NextDouble(); } while (u1 <= double.Epsilon);
        u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        spareNormal = r * Math.Sin(2 * Math.PI * u2);
        hasSpare = true;
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Fills <paramref name="destination"/> with N(mean, std²) samples.</summary>
    public void FillNormal(Span<float> destination, float mean = 0f, float std = 1f)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = mean + std * (float)NextNormal();
    }

    /// <summary>Fills <paramref name="destination"/> with uniform samples in [low, high).</summary>
    public void FillUniform(Span<float> destination, float low = 0f, float high = 1f)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = low + (high - low) * NextFloat();
    }

    /// <summary>Draws an index with probability proportional to <paramref name="weights"/> (non-negative, not all zero).</summary>
    public int Multinomial(ReadOnlySpan<float> weights)
    {
        double total = Total(weights);
        return Pick(weights, NextDouble() * total);
    }

    /// <summary>
    /// The index <see cref="Multinomial(ReadOnlySpan{float})"/> returns when its uniform draw is <paramref name="uniform"/> (in [0, 1)):
    /// the first one whose cumulative weight exceeds <paramref name="uniform"/> · the sum, so the draw can be taken from the
    /// generator apart from the scan over the weights (rows scanned in parallel, drawn in order).
    /// </summary>
    public static int Multinomial(ReadOnlySpan<float> weights, double uniform) => Pick(weights, uniform * Total(weights));

    private static double Total(ReadOnlySpan<float> weights)
    {
        double total = 0;
        foreach (var w in weights) total += w;
        if (!(total > 0)) throw new ArgumentException("Multinomial: weights must be non-negative with a positive sum.");
        return total;
    }

    // The first index whose running sum of the positive weights exceeds u; the last positive one if rounding leaves none.
    private static int Pick(ReadOnlySpan<float> weights, double u)
    {
        double acc = 0;
        int last = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0) continue;
            acc += weights[i];
            last = i;
            if (u < acc) return i;
        }
        return last;
    }

    /// <summary>0 … <paramref name="count"/> − 1 in a Fisher–Yates order drawn from this generator.</summary>
    public int[] Permutation(int count)
    {
        var index = new int[count];
        for (int i = 0; i < count; i++) index[i] = i;
        Shuffle<int>(index);
        return index;
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates, from the last item down).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A new generator whose stream is independent of this one's (for per-worker streams).</summary>
    public Rng Split() => new(NextUInt64());

    /// <summary>The full state, for checkpoints.</summary>
    public ulong[] GetState() => [s0, s1, s2, s3, hasSpare ? 1UL : 0UL, BitConverter.DoubleToUInt64Bits(spareNormal)];

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 6) throw new ArgumentException("Rng.SetState: expected 6 words.");
        s0 = state[0]; s1 = state[1]; s2 = state[2]; s3 = state[3];
        hasSpare = state[4] != 0;
        spareNormal = BitConverter.UInt64BitsToDouble(state[5]);
    }
}
