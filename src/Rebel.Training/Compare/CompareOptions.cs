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

    /// <summary>The device every run's policy computes on, by its command-line name (cpu, cuda, ilgpu-cpu). Default cpu.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>A user's own task (model folder, prompts, reward) instead of a built-in one; <see cref="Task"/> is then "user". Default none.</summary>
    public UserTaskFiles? User { get; init; }

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

    /// <summary>
    /// Choose each algorithm's learning rate (and REBEL's completions per prompt) by a sweep on <see cref="TuningSeed"/> before the reported
    /// seeds run: every algorithm trains once per candidate with the comparison's budget, and the candidate with the best held-out figure on
    /// the tuning seed's own held-out prompts is used for every reported seed. Default false (every algorithm uses the task's learning rate).
    /// </summary>
    public bool Tune { get; init; }

    /// <summary>The seed the sweep runs on; never one of the reported seeds 1..<see cref="Seeds"/>. Default 1000.</summary>
    public ulong TuningSeed { get; init; } = 1000;

    /// <summary>The sweep's learning rates, as multiples of the task's (arithmetic 3e-4, rlhf the same). Default ⅓, 1, 3.</summary>
    public IReadOnlyList<double> LearningRateFactors { get; init; } = [1.0 / 3, 1, 3];

    /// <summary>The sweep's REBEL completions per prompt (each crossed with every learning rate). Default 2 (the paper's) and 4.</summary>
    public IReadOnlyList<int> TuneRebelCompletions { get; init; } = [2, 4];

    /// <summary>Learning rate per algorithm (the sweep's choice); an algorithm not listed uses the task's. Default none.</summary>
    public IReadOnlyDictionary<string, float> LearningRates { get; init; } = new Dictionary<string, float>();

    /// <summary>Folder holding the seeds' starting points, or null for setup/ inside <see cref="OutputDirectory"/>. The sweep's runs share the comparison's.</summary>
    public string? SetupRoot { get; init; }

    /// <summary>Runs of the sweep in this comparison: one per algorithm and learning rate, REBEL once per allocation too.</summary>
    public int TuningRuns => Tune ? LearningRateFactors.Count * (Algorithms.Count + (Algorithms.Contains("rebel") ? TuneRebelCompletions.Count - 1 : 0)) : 0;

    /// <summary><paramref name="budget"/> with the learning rate chosen for <paramref name="algorithm"/>, if one was.</summary>
    public RebelOptions WithLearningRate(string algorithm, RebelOptions budget) =>
        LearningRates.TryGetValue(algorithm, out var lr) ? budget with { LearningRate = lr } : budget;

    /// <summary>REBEL's options in this comparison: <paramref name="r"/> (the task's, with the budget) reallocated as <see cref="RebelCompletionsPerPrompt"/> says.</summary>
    public RebelOptions RebelAllocation(RebelOptions r)
    {
        if (RebelCompletionsPerPrompt is not { } k) return r;
        int queries = r.PromptsPerIteration * r.CompletionsPerPrompt;
        if (queries % k != 0) throw new ArgumentException($"compare: {queries} reward queries per iteration do not split into groups of {k} REBEL completions.");
        return r with { CompletionsPerPrompt = k, PromptsPerIteration = queries / k, Pairing = PairingMode.AllPairs };
    }

    /// <summary>The task for <paramref name="seed"/> with <see cref="Budget"/> applied.</summary>
    public IBuiltInTask TaskFor(ulong seed) => User is { } user ? new UserTask(user, seed, Budget) : BuiltInTasks.Create(Task, seed, Budget);

    /// <summary>Folder of the starting point shared by every algorithm for <paramref name="seed"/>.</summary>
    public string SetupDirectory(ulong seed) => Path.Combine(SetupRoot ?? Path.Combine(OutputDirectory, "setup"), $"seed{seed}");

    /// <summary>Folder of one run.</summary>
    public string RunDirectory(string algorithm, ulong seed) => Path.Combine(OutputDirectory, "runs", algorithm, $"seed{seed}");

    /// <summary>Throws ArgumentException naming the first invalid option.</summary>
    public void Validate()
    {
        if (User is not null && Task != UserTask.TaskName) throw new ArgumentException($"compare: a user task (--model) is named '{UserTask.TaskName}', not '{Task}'.");
        if (User is null && !BuiltInTasks.Names.Contains(Task)) throw new ArgumentException($"compare: unknown task '{Task}'; expected one of {string.Join(", ", BuiltInTasks.Names)}.");
        if (Algorithms.Count == 0) throw new ArgumentException("compare: no algorithms.");
        var unknown = Algorithms.FirstOrDefault(a => !AllAlgorithms.Contains(a));
        if (unknown is not null) throw new ArgumentException($"compare: unknown algorithm '{unknown}'; expected some of {string.Join(", ", AllAlgorithms)}.");
        if (Algorithms.Distinct().Count() != Algorithms.Count) throw new ArgumentException("compare: an algorithm is listed twice.");
        if (Seeds <= 0) throw new ArgumentException($"compare: seeds must be positive, got {Seeds}.");
        if (Tune && TuningSeed >= 1 && TuningSeed <= (ulong)Seeds) throw new ArgumentException($"compare: the tuning seed {TuningSeed} is one of the reported seeds 1..{Seeds}.");
        if (Tune && (LearningRateFactors.Count == 0 || LearningRateFactors.Any(f => !(f > 0)))) throw new ArgumentException("compare: the sweep needs positive learning-rate factors.");
        if (Tune && TuneRebelCompletions.Any(k => k < 2)) throw new ArgumentException("compare: the sweep's REBEL completions per prompt must be at least 2.");
        if (RebelCompletionsPerPrompt < 2) throw new ArgumentException($"compare: REBEL needs at least 2 completions per prompt, got {RebelCompletionsPerPrompt}.");
    }
}
