// One reward call on a test query before any sampling, so that a broken reward (a program that crashes, prints no number, or a
// missing field) fails in seconds with its own error instead of after the first batch has been sampled.
using Rebel.Training.Data;

namespace Rebel.Training.Rewards;

/// <summary>Calls a reward once on a real prompt and a short completion.</summary>
public static class RewardProbe
{
    /// <summary>The completion of the test query.</summary>
    public const string Completion = " 0";

    /// <summary>
    /// Scores (<paramref name="prompt"/>, <see cref="Completion"/>) with <paramref name="reward"/> and, when given, compares it with itself under
    /// <paramref name="preference"/>; throws InvalidOperationException naming the reward and the prompt's source, with the reward's error,
    /// when a call fails or does not return one finite number.
    /// </summary>
    public static void Check(IReward? reward, IPreference? preference, PromptRecord prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var query = new RewardQuery(prompt, Completion, EndedWithEos: true);
        if (reward is not null) Expect(reward.Name, prompt, () => reward.Score([query]));
        if (preference is not null) Expect(preference.Name, prompt, () => preference.Prefer([(query, query)]));
    }

    private static void Expect(string name, PromptRecord prompt, Func<float[]> call)
    {
        string where = $"The reward '{name}' failed on a test query made before sampling (the prompt of {prompt.Source}, completion \"{Completion}\")";
        float[] scores;
        try
        {
            scores = call();
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            throw new InvalidOperationException($"{where}: {e.Message}", e);
        }
        if (scores.Length != 1 || !float.IsFinite(scores[0]))
            throw new InvalidOperationException($"{where}: expected one finite score, got [{string.Join(", ", scores)}].");
    }
}
