// Several rewards at once (TRL's reward_funcs with reward_weights): each completion's score is the weighted sum of the rewards'
// scores, and each reward's own scores are kept so that its mean can be logged under its own name.
namespace Rebel.Training.Rewards;

/// <summary>s(x, y) = Σ_k w_k·s_k(x, y) over several rewards; disposing stops any cmd: programs among them.</summary>
public sealed class WeightedReward : IReward, IDisposable
{
    /// <summary>Combines <paramref name="rewards"/> with <paramref name="weights"/> (one per reward).</summary>
    public WeightedReward(IReadOnlyList<IReward> rewards, IReadOnlyList<float> weights)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(weights);
        if (rewards.Count == 0 || weights.Count != rewards.Count)
            throw new ArgumentException($"--reward-weights: {weights.Count} weights for {rewards.Count} rewards; give one weight per --reward.");
        Rewards = rewards;
        Weights = weights;
    }

    /// <summary>The rewards, in the order given.</summary>
    public IReadOnlyList<IReward> Rewards { get; }

    /// <summary>w_k, one per reward.</summary>
    public IReadOnlyList<float> Weights { get; }

    /// <inheritdoc/>
    public string Name => string.Join(" + ", Rewards.Select((r, k) => $"{Weights[k]:G}·{r.Name}"));

    /// <inheritdoc/>
    public float[] Score(IReadOnlyList<RewardQuery> queries) => ScoreParts(queries).Total;

    /// <summary>The weighted sum per query and each reward's own scores (Parts[k][i]: reward k on query i, unweighted).</summary>
    public (float[] Total, float[][] Parts) ScoreParts(IReadOnlyList<RewardQuery> queries)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var parts = Rewards.Select(r => r.Score(queries)).ToArray();
        var total = new float[queries.Count];
        for (int k = 0; k < parts.Length; k++)
        {
            if (parts[k].Length != total.Length) throw new InvalidOperationException($"Reward '{Rewards[k].Name}' returned {parts[k].Length} scores for {total.Length} completions.");
            for (int i = 0; i < total.Length; i++) total[i] += Weights[k] * parts[k][i];
        }
        return (total, parts);
    }

    /// <summary>Ends a pending answer of each cmd: reward (on Ctrl-C).</summary>
    public void Interrupt()
    {
        foreach (var r in Rewards.OfType<CommandReward>()) r.Interrupt();
    }

    /// <summary>Stops the cmd: reward programs.</summary>
    public void Dispose()
    {
        foreach (var r in Rewards.OfType<IDisposable>()) r.Dispose();
    }
}
