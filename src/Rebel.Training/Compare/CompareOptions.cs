// Settings of `rebel compare`: which task, algorithms and seeds, and the one budget every algorithm shares.
using Rebel.Training.Tasks;

namespace Rebel.Training.Compare;

/// <summary>Options of `rebel compare`; saved as compare.json in the output folder, which the child runs read.</summary>
public sealed record CompareOptions
{
    /// <summary>Every algorithm `rebel compare` can run.</summary>
    public static IReadOnlyList<string> AllAlgorithms => Training.Algorithms.Names;

    /// <summary>The built-in task. Default arithmetic.</summary>
    public string Task { get; init; } = "arithmetic";

    /// <summary>Algorithms, run in this order for each seed. Default all six.</summary>
    public IReadOnlyList<string> Algorithms { get; init; } = AllAlgorithms;

    /// <summary>Seeds 1..N; each builds its own starting point, shared by every algorithm. Default 3.</summary>
    public int Seeds { get; init; } = 3;

    /// <summary>Output folder. Default runs/compare.</summary>
    public string OutputDirectory { get; init; } = Path.Combine("runs", "compare");

    /// <summary>
    /// Changes to the task's defaults. Default: 40 iterations × 32 prompts × 8 completions (10,240 reward queries per run, a fifth of
    /// the arithmetic quickstart's), so six algorithms × three seeds fit in about half an hour on two cores (PPO takes most of it).
    /// </summary>
    public TaskOverrides Budget { get; init; } = new() { Iterations = 40, PromptsPerIteration = 32 };

    /// <summary>
    /// REBEL's completions per prompt, or null for the budget's. REBEL spends each iteration's reward queries (prompts × completions of the
    /// budget) on this many completions for proportionally more prompts and regresses on all their pairs; the other methods keep the
    /// budget's allocation. Default 4: 64 prompts × 4 instead of 32 × 8 (the paper samples 2; in our trials on seeds 1–3, 4 with all
    /// six pairs did better than 2, and both better than 8 paired best-vs-worst or all-pairs).
    /// </summary>
    public int? RebelCompletionsPerPrompt { get; init; } = 4;

    /// <summary>REBEL's options in this comparison: <paramref name="r"/> (the task's, with the budget) reallocated as <see cref="RebelCompletionsPerPrompt"/> says.</summary>
    public RebelOptions RebelAllocation(RebelOptions r)
    {
        if (RebelCompletionsPerPrompt is not { } k) return r;
        int queries = r.PromptsPerIteration * r.CompletionsPerPrompt;
        if (queries % k != 0) throw new ArgumentException($"compare: {queries} reward queries per iteration do not split into groups of {k} REBEL completions.");
        return r with { CompletionsPerPrompt = k, PromptsPerIteration = queries / k, Pairing = PairingMode.AllPairs };
    }

    /// <summary>The task for <paramref name="seed"/> with <see cref="Budget"/> applied.</summary>
    public IBuiltInTask TaskFor(ulong seed) => BuiltInTasks.Create(Task, seed, Budget);

    /// <summary>Folder of the starting point shared by every algorithm for <paramref name="seed"/>.</summary>
    public string SetupDirectory(ulong seed) => Path.Combine(OutputDirectory, "setup", $"seed{seed}");

    /// <summary>Folder of one run.</summary>
    public string RunDirectory(string algorithm, ulong seed) => Path.Combine(OutputDirectory, "runs", algorithm, $"seed{seed}");

    /// <summary>Throws ArgumentException naming the first invalid option.</summary>
    public void Validate()
    {
        if (!BuiltInTasks.Names.Contains(Task)) throw new ArgumentException($"compare: unknown task '{Task}'; expected one of {string.Join(", ", BuiltInTasks.Names)}.");
        if (Algorithms.Count == 0) throw new ArgumentException("compare: no algorithms.");
        var unknown = Algorithms.FirstOrDefault(a => !AllAlgorithms.Contains(a));
        if (unknown is not null) throw new ArgumentException($"compare: unknown algorithm '{unknown}'; expected some of {string.Join(", ", AllAlgorithms)}.");
        if (Algorithms.Distinct().Count() != Algorithms.Count) throw new ArgumentException("compare: an algorithm is listed twice.");
        if (Seeds <= 0) throw new ArgumentException($"compare: seeds must be positive, got {Seeds}.");
        if (RebelCompletionsPerPrompt < 2) throw new ArgumentException($"compare: REBEL needs at least 2 completions per prompt, got {RebelCompletionsPerPrompt}.");
    }
}
