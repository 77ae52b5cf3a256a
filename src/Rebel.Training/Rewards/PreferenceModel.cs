// A Bradley–Terry pairwise preference model built on a value-head reward model:
// P(y ≻ y' | x) = σ(s(x, y) − s(x, y')). Used by REBEL's general-preference mode (target P − ½).
namespace Rebel.Training.Rewards;

/// <summary>P(first ≻ second) = σ(s(x, first) − s(x, second)) with s a <see cref="RewardModelReward"/>.</summary>
public sealed class PreferenceModel(RewardModelReward scorer) : IPreference
{
    /// <summary>The scalar scorer s(x, y).</summary>
    public RewardModelReward Scorer { get; } = scorer;

    /// <inheritdoc />
    public string Name => $"pref:{Scorer.Directory}";

    /// <inheritdoc />
    public float[] Prefer(IReadOnlyList<(RewardQuery First, RewardQuery Second)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var s = Scorer.Score([.. pairs.Select(p => p.First), .. pairs.Select(p => p.Second)]);
        var p = new float[pairs.Count];
        for (int i = 0; i < p.Length; i++) p[i] = Sigmoid(s[i] - s[pairs.Count + i]);
        return p;
    }

    private static float Sigmoid(float z) => z >= 0 ? 1f / (1f + MathF.Exp(-z)) : MathF.Exp(z) / (1f + MathF.Exp(z));
}
