// Built-in rule rewards: exact answer match, regular expression match, and completion length.
using System.Globalization;
using System.Text.RegularExpressions;

namespace Rebel.Training.Rewards;

/// <summary>
/// 1 when the completion's answer equals the prompt record's <see cref="Field"/> (default "answer"), else 0.
/// The answer is the completion trimmed, up to its first line break; numbers compare numerically.
/// </summary>
public sealed class ExactReward(string field = "answer") : IReward
{
    /// <summary>The record field holding the expected answer.</summary>
    public string Field { get; } = field;

    /// <inheritdoc />
    public string Name => Field == "answer" ? "exact" : $"exact:{Field}";

    /// <inheritdoc />
    public float[] Score(IReadOnlyList<RewardQuery> queries)
    {
        var scores = new float[queries.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            var q = queries[i];
            var expected = q.Prompt.Field(Field) ?? throw new InvalidDataException($"{q.Prompt.Source}: the exact reward needs a \"{Field}\" field.");
            scores[i] = Matches(q.Completion, expected) ? 1f : 0f;
        }
        return scores;
    }

    /// <summary>True when the first line of <paramref name="completion"/> is the expected answer.</summary>
    public static bool Matches(string completion, string expected)
    {
        var answer = completion.Split('\n', 2)[0].Trim();
        var want = expected.Trim();
        if (double.TryParse(answer, NumberStyles.Float, CultureInfo.InvariantCulture, out var a) &&
            double.TryParse(want, NumberStyles.Float, CultureInfo.InvariantCulture, out var b))
            return Math.Abs(a - b) < 1e-9;
        return string.Equals(answer, want, StringComparison.Ordinal);
    }
}

/// <summary>1 when the completion matches the regular expression, else 0.</summary>
public sealed class RegexReward(string pattern) : IReward
{
    private readonly Regex regex = new(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <inheritdoc />
    public string Name => $"regex:{pattern}";

    /// <inheritdoc />
    public float[] Score(IReadOnlyList<RewardQuery> queries) => [.. queries.Select(q => regex.IsMatch(q.Completion) ? 1f : 0f)];
}

/// <summary>The completion's length in characters divided by <see cref="Scale"/> (a toy reward for smoke tests).</summary>
public sealed class LengthReward(float scale = 100f) : IReward
{
    /// <summary>Characters per unit of reward.</summary>
    public float Scale { get; } = scale;

    /// <inheritdoc />
    public string Name => "length";

    /// <inheritdoc />
    public float[] Score(IReadOnlyList<RewardQuery> queries) => [.. queries.Select(q => q.Completion.Length / Scale)];
}
