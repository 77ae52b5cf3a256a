// The reward interface: a batch of (prompt, completion) in, one score per item out.
using Rebel.Training.Data;

namespace Rebel.Training.Rewards;

/// <summary>One completion to score.</summary>
/// <param name="Prompt">The prompt record (with its extra fields).</param>
/// <param name="Completion">The decoded completion text (EOS token removed).</param>
/// <param name="EndedWithEos">True when the completion ended with an EOS token within the length limit.</param>
public sealed record RewardQuery(PromptRecord Prompt, string Completion, bool EndedWithEos);

/// <summary>Scores completions. Implementations may batch (a reward model) or stream (an external program).</summary>
public interface IReward
{
    /// <summary>A short name for reports ("exact", "cmd:python3 score.py", …).</summary>
    string Name { get; }

    /// <summary>One score per query, in order.</summary>
    float[] Score(IReadOnlyList<RewardQuery> queries);
}

/// <summary>A pairwise preference model P(y ≻ y' | x), REBEL's general-preference mode.</summary>
public interface IPreference
{
    /// <summary>A short name for reports.</summary>
    string Name { get; }

    /// <summary>P(first ≻ second) for each pair, in [0, 1].</summary>
    float[] Prefer(IReadOnlyList<(RewardQuery First, RewardQuery Second)> pairs);
}
