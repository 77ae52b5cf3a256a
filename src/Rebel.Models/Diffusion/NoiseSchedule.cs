// The cosine noise schedule (Nichol & Dhariwal 2021): ᾱ_t = f(t+1)/f(0), f(u) = cos²((u/T + s)/(1 + s)·π/2), s = 0.008,
// with each β_t = 1 − ᾱ_t/ᾱ_{t−1} capped at 0.999. Timestep t ∈ [0, T) noises x₀ as x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε.
namespace Rebel.Models.Diffusion;

/// <summary>Cumulative signal fractions ᾱ_t of a cosine schedule.</summary>
public sealed class NoiseSchedule
{
    private readonly double[] alphaBar;

    /// <summary>Builds the schedule for <paramref name="timesteps"/> steps.</summary>
    public NoiseSchedule(int timesteps)
    {
        if (timesteps < 2) throw new ArgumentException($"NoiseSchedule: {timesteps} timesteps; need at least 2.");
        const double s = 0.008;
        static double F(double u, int n) => Math.Pow(Math.Cos((u / n + s) / (1 + s) * Math.PI / 2), 2);
        alphaBar = new double[timesteps];
        double previous = 1;
        for (int t = 0; t < timesteps; t++)
        {
            double beta = Math.Min(1 - F(t + 1, timesteps) / F(t, timesteps), 0.999);
            previous *= 1 - beta;
            alphaBar[t] = previous;
        }
    }

    /// <summary>T.</summary>
    public int Timesteps => alphaBar.Length;

    /// <summary>ᾱ_t; <paramref name="t"/> = −1 means the clean image (ᾱ = 1).</summary>
    public double AlphaBar(int t) => t < 0 ? 1.0 : alphaBar[t];
}
