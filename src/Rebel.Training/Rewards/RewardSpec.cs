// Parses the reward named on the command line: exact, exact:FIELD, regex:PATTERN, length, cmd:PROGRAM ARGS, rm:DIR, pref:DIR;
// several of them (not pref:) combine as a weighted sum.
using Rebel.Models.Tokenization;

namespace Rebel.Training.Rewards;

/// <summary>A parsed reward: either a scalar reward or a pairwise preference model. Disposing stops a cmd: program.</summary>
public sealed class RewardSpec : IDisposable
{
    /// <summary>The accepted forms, one per line, for help texts and errors.</summary>
    public const string Forms =
        "exact (completion's first line equals the \"answer\" field), exact:FIELD, regex:PATTERN, length, " +
        "cmd:PROGRAM ARGS (JSON lines on stdin/stdout), rm:DIR (reward model with a value head), pref:DIR (pairwise preference model)";

    private RewardSpec(string text, IReward? reward, IPreference? preference)
    {
        Text = text;
        Reward = reward;
        Preference = preference;
    }

    /// <summary>The spec as given.</summary>
    public string Text { get; }

    /// <summary>The scalar reward, or null for a preference model.</summary>
    public IReward? Reward { get; }

    /// <summary>The preference model (pref:DIR), or null.</summary>
    public IPreference? Preference { get; }

    /// <summary>
    /// Parses <paramref name="spec"/>. Model-based rewards load their folder now; <paramref name="policyTokenizer"/> is used when the
    /// folder has no tokenizer.json; <paramref name="commandTimeout"/> bounds each answer of a cmd: program (default
    /// <see cref="RewardProcess.DefaultTimeout"/>). Throws ArgumentException listing the forms for an unknown spec.
    /// </summary>
    public static RewardSpec Parse(string spec, ITokenizer? policyTokenizer = null, TimeSpan? commandTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int colon = spec.IndexOf(':', StringComparison.Ordinal);
        string kind = colon < 0 ? spec : spec[..colon];
        string? arg = colon < 0 ? null : spec[(colon + 1)..];
        return (kind, arg) switch
        {
            ("exact", null) => new(spec, new ExactReward(), null),
            ("exact", { Length: > 0 }) => new(spec, new ExactReward(arg), null),
            ("regex", { Length: > 0 }) => new(spec, new RegexReward(arg), null),
            ("length", null) => new(spec, new LengthReward(), null),
            ("cmd", { Length: > 0 }) when !string.IsNullOrWhiteSpace(arg) => new(spec, new CommandReward(arg, commandTimeout), null),
            ("rm", { Length: > 0 }) => new(spec, new RewardModelReward(arg, policyTokenizer), null),
            ("pref", { Length: > 0 }) => new(spec, null, new PreferenceModel(new RewardModelReward(arg, policyTokenizer))),
            _ => throw new ArgumentException($"Unknown reward '{spec}'. Use one of: {Forms}."),
        };
    }

    /// <summary>
    /// Several rewards, <c>--reward A --reward B --reward-weights 1,0.5</c> (TRL's reward_funcs and reward_weights): the score is the
    /// weighted sum (<see cref="WeightedReward"/>; weights default to 1 each). One spec and no weights is <see cref="Parse(string, ITokenizer?, TimeSpan?)"/>.
    /// A preference model (pref:) cannot be combined. Throws ArgumentException naming the flag for a weight count that differs.
    /// </summary>
    public static RewardSpec Parse(IReadOnlyList<string> specs, IReadOnlyList<float>? weights, ITokenizer? policyTokenizer = null, TimeSpan? commandTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(specs);
        if (specs.Count == 0) throw new ArgumentException($"--reward: give at least one of: {Forms}.");
        if (specs.Count == 1 && weights is null) return Parse(specs[0], policyTokenizer, commandTimeout);
        var w = weights ?? [.. specs.Select(_ => 1f)];
        if (w.Count != specs.Count) throw new ArgumentException($"--reward-weights: {w.Count} weights for {specs.Count} rewards; give one weight per --reward.");
        var parsed = new List<RewardSpec>();
        try
        {
            foreach (var spec in specs)
            {
                var one = Parse(spec, policyTokenizer, commandTimeout);
                parsed.Add(one);
                if (one.Reward is null) throw new ArgumentException($"--reward {spec}: a preference model cannot be combined with other rewards.");
            }
        }
        catch
        {
            foreach (var p in parsed) p.Dispose();
            throw;
        }
        return new(string.Join(" + ", specs.Select((s, k) => $"{w[k]:G}·{s}")), new WeightedReward([.. parsed.Select(p => p.Reward!)], w), null);
    }

    /// <summary>Ends a cmd: reward program's pending answer with OperationCanceledException (on Ctrl-C); nothing for other rewards.</summary>
    public void Interrupt()
    {
        (Reward as CommandReward)?.Interrupt();
        (Reward as WeightedReward)?.Interrupt();
    }

    /// <summary>Stops a cmd: reward program.</summary>
    public void Dispose() => (Reward as IDisposable)?.Dispose();
}
