// The best-versus-worst pair of a prompt's completions, shared by REBEL's best-worst pairing and online DPO: the tie rule lives here.
namespace Rebel.Training.Rollouts;

/// <summary>Picks the highest- and lowest-reward completions of one prompt.</summary>
public static class BestWorst
{
    /// <summary>
    /// The first completion with the highest <see cref="Rollout.Reward"/> and the first with the lowest, or null when they tie
    /// (every completion scored alike): such a prompt has no better and worse answer, and pairing a completion with itself would
    /// be a pair with no gradient, so callers skip it.
    /// </summary>
    public static (Rollout Best, Rollout Worst)? Of(IReadOnlyList<Rollout> completions)
    {
        ArgumentNullException.ThrowIfNull(completions);
        if (completions.Count < 2) throw new ArgumentException($"BestWorst: a prompt needs at least 2 completions, got {completions.Count}.");
        var best = completions.MaxBy(r => r.Reward)!;
        var worst = completions.MinBy(r => r.Reward)!;
        return best.Reward > worst.Reward ? (best, worst) : null;
    }
}
