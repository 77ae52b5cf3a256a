// The metrics every online trainer reports about its rollouts, with TRL-style names so runs of different methods line up.
using Rebel.Training.Rewards;
using Rebel.Training.Rollouts;

namespace Rebel.Training.Reporting;

/// <summary>Builds the shared part of a metrics row.</summary>
public static class RolloutMetrics
{
    /// <summary>iteration, objective/* (scores, shaped reward, KL), completion length and EOS rate of <paramref name="rollouts"/>.</summary>
    public static Dictionary<string, double> Common(int iteration, IReadOnlyList<Rollout> rollouts) => new()
    {
        ["iteration"] = iteration,
        ["objective/scores"] = rollouts.Average(r => r.Score),
        ["objective/scores_std"] = Std(rollouts.Select(r => (double)r.Score)),
        ["objective/rlhf_reward"] = rollouts.Average(r => r.Reward),
        ["objective/rlhf_reward_std"] = Std(rollouts.Select(r => (double)r.Reward)),
        ["objective/kl"] = rollouts.Average(r => r.Kl),
    };

    /// <summary>
    /// With several rewards, each one's mean unweighted score as rewards/{name}/mean (TRL's names; a name given twice gets #k, its
    /// place from 1). <paramref name="names"/> are the rewards' names in order; nothing when empty.
    /// </summary>
    public static void AddRewardParts(Dictionary<string, double> metrics, IReadOnlyList<Rollout> rollouts, IReadOnlyList<string> names)
    {
        if (names.Count == 0 || rollouts.Count == 0) return;
        for (int k = 0; k < names.Count; k++)
        {
            string name = names.Count(n => n == names[k]) > 1 ? $"{names[k]}#{k + 1}" : names[k];
            metrics[$"rewards/{name}/mean"] = rollouts.Average(r => r.RewardParts[k]);
        }
    }

    /// <summary>Completion length and EOS rate.</summary>
    public static void AddLengths(Dictionary<string, double> metrics, IReadOnlyList<Rollout> rollouts)
    {
        metrics["val/completion_length"] = rollouts.Average(r => r.Completion.Length);
        metrics["val/eos_rate"] = rollouts.Average(r => r.EndedWithEos ? 1.0 : 0.0);
    }

    /// <summary>
    /// Scores <paramref name="rollouts"/> with each evaluation reward as metric objective/{name}_scores (e.g. a hidden gold scorer
    /// beside the learned reward model trained on). These scores are not reward queries and never reach the update.
    /// </summary>
    public static void AddEvaluations(Dictionary<string, double> metrics, IReadOnlyList<Rollout> rollouts, IReadOnlyDictionary<string, IReward> rewards)
    {
        if (rewards.Count == 0 || rollouts.Count == 0) return;
        var queries = rollouts.Select(r => new RewardQuery(r.Prompt, r.Text, r.EndedWithEos)).ToList();
        foreach (var (name, reward) in rewards) metrics[$"objective/{name}_scores"] = reward.Score(queries).Average();
    }

    /// <summary>Sample standard deviation (n − 1); 0 for fewer than two values.</summary>
    public static double Std(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length < 2) return 0;
        double mean = v.Average();
        return Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
    }
}
