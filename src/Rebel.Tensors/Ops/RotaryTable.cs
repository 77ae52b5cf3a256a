// Rotary position embedding tables: inverse frequencies θ^(−2i/R), optional Llama-3 frequency scaling, cos/sin by position.
namespace Rebel.Tensors;

/// <summary>Llama-3 style rotary scaling ("rope_type": "llama3" in config.json).</summary>
public sealed record Llama3RopeScaling(float Factor, float LowFreqFactor, float HighFreqFactor, int OriginalMaxPositions);

/// <summary>cos/sin of position·frequency for the first <see cref="RotaryDim"/> channels of each head (HF rotate_half layout).</summary>
public sealed class RotaryTable
{
    private readonly float[] invFreq; // (R/2)
    private float[] cos = [], sin = []; // (positions, R/2)
    private int positions;

    /// <summary>Number of rotated channels per head (even).</summary>
    public int RotaryDim { get; }

    /// <summary>Builds the frequencies for <paramref name="rotaryDim"/> channels with base <paramref name="theta"/>.</summary>
    public RotaryTable(int rotaryDim, double theta, Llama3RopeScaling? scaling = null)
    {
        if (rotaryDim <= 0 || rotaryDim % 2 != 0) throw new ArgumentException($"RotaryTable: rotary dimension {rotaryDim} must be positive and even.");
        RotaryDim = rotaryDim;
        invFreq = new float[rotaryDim / 2];
        for (int i = 0; i < invFreq.Length; i++)
        {
            double f = 1.0 / Math.Pow(theta, 2.0 * i / rotaryDim);
            invFreq[i] = (float)(scaling is null ? f : ScaleLlama3(f, scaling));
        }
    }

    private static double ScaleLlama3(double freq, Llama3RopeScaling s)
    {
        double lowWavelen = s.OriginalMaxPositions / s.LowFreqFactor;
        double highWavelen = s.OriginalMaxPositions / s.HighFreqFactor;
        double wavelen = 2 * Math.PI / freq;
        if (wavelen < highWavelen) return freq;
        if (wavelen > lowWavelen) return freq / s.Factor;
        double smooth = (s.OriginalMaxPositions / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
        return (1 - smooth) * freq / s.Factor + smooth * freq;
    }

    /// <summary>Makes sure positions [0, count) are tabulated (grows by doubling).</summary>
    public void EnsurePositions(int count)
    {
        if (count <= positions) return;
        int n = Math.Max(count, Math.Max(16, positions * 2)), half = invFreq.Length;
        var c = new float[n * half];
        var s = new float[n * half];
        for (int p = 0; p < n; p++)
        {
            for (int i = 0; i < half; i++)
            {
                float angle = p * invFreq[i]; // float32 product, as the reference implementations compute it
                c[p * half + i] = MathF.Cos(angle);
                s[p * half + i] = MathF.Sin(angle);
            }
        }
        cos = c; sin = s; positions = n;
    }

    internal ReadOnlySpan<float> Cos(int position) => cos.AsSpan(position * invFreq.Length, invFreq.Length);

    internal ReadOnlySpan<float> Sin(int position) => sin.AsSpan(position * invFreq.Length, invFreq.Length);
}
