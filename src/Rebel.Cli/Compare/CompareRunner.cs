// `rebel compare`: for each seed, build the task's starting point once, then run every algorithm on it with the same budget of
// reward queries, each in a child process of the same executable (its own peak memory), and summarise. Finished pieces
// (setup.json of a seed, result.json of a run) are kept, so an interrupted comparison resumes where it stopped.
using System.Diagnostics;
using System.Text.Json;
using Rebel.Training.Compare;
using Rebel.Training.Tasks;

namespace Rebel.Cli.Compare;

/// <summary>How to start a child run: the program and the arguments before the subcommand (e.g. "dotnet" and "rebel.dll").</summary>
/// <param name="FileName">Program to start.</param>
/// <param name="PrefixArguments">Arguments before "compare-run".</param>
internal sealed record ChildCommand(string FileName, IReadOnlyList<string> PrefixArguments);

/// <summary>Runs a comparison.</summary>
internal static class CompareRunner
{
    /// <summary>The child subcommand's name.</summary>
    public const string ChildVerb = "compare-run";

    /// <summary>File name of the saved options inside the output folder.</summary>
    public const string PlanFile = "compare.json";

    /// <summary>
    /// Prepares each seed's starting point (unless already there), runs every (algorithm, seed) not yet finished through
    /// <paramref name="child"/>, and writes summary.json and report.html; returns the summary.
    /// </summary>
    public static CompareSummary Run(CompareOptions options, ChildCommand child, IQuickstartProgress progress, CancellationToken cancel = default)
    {
        options.Validate();
        Directory.CreateDirectory(options.OutputDirectory);
        IReadOnlyList<TuningCandidate>? tuning = null;
        if (options.Tune) (options, tuning) = Tune(options, child, progress, cancel);
        WritePlan(options);
        var results = new List<CompareResult>();
        var starts = new List<StartResult>();
        for (ulong seed = 1; seed <= (ulong)options.Seeds; seed++)
        {
            starts.Add(EnsureStart(options, seed, progress, cancel));
            foreach (var algorithm in options.Algorithms) results.Add(RunOnce(options, child, algorithm, seed, progress, cancel));
        }
        var summary = CompareSummary.From(options, starts, results, tuning);
        summary.Write(options);
        return summary;
    }

    // The sweep: on the tuning seed's own starting point, every algorithm once per candidate learning rate (REBEL also per candidate
    // allocation), each in its own folder under tune/ with its own plan; the best held-out figure wins (the earlier candidate on a tie).
    // Returns the comparison's options with the choices in them, and every candidate.
    private static (CompareOptions Options, IReadOnlyList<TuningCandidate> Candidates) Tune(CompareOptions options, ChildCommand child, IQuickstartProgress progress,
        CancellationToken cancel)
    {
        ulong seed = options.TuningSeed;
        EnsureStart(options, seed, progress, cancel);
        float taskRate = options.TaskFor(seed).Rebel.LearningRate;
        string setupRoot = Path.GetDirectoryName(Path.GetFullPath(options.SetupDirectory(seed)))!;
        var runs = new List<(string Algorithm, float Rate, int? K, double HeldOut)>();
        foreach (var algorithm in options.Algorithms)
        {
            IReadOnlyList<int?> allocations = algorithm == "rebel" ? [.. options.TuneRebelCompletions.Select(k => (int?)k)] : [options.RebelCompletionsPerPrompt];
            foreach (var k in allocations)
            {
                foreach (var factor in options.LearningRateFactors)
                {
                    float rate = (float)(factor * taskRate);
                    string name = FormattableString.Invariant($"{algorithm}-lr{rate:G3}") + (algorithm == "rebel" ? $"-k{k}" : "");
                    var plan = options with
                    {
                        Tune = false, OutputDirectory = Path.Combine(options.OutputDirectory, "tune", name), SetupRoot = setupRoot,
                        LearningRates = new Dictionary<string, float> { [algorithm] = rate }, RebelCompletionsPerPrompt = k,
                    };
                    Directory.CreateDirectory(plan.OutputDirectory);
                    WritePlan(plan);
                    var r = RunOnce(plan, child, algorithm, seed, progress, cancel, $"tuning {name}");
                    runs.Add((algorithm, rate, algorithm == "rebel" ? k : null, r.HeldOut));
                }
            }
        }
        var best = runs.GroupBy(r => r.Algorithm).ToDictionary(g => g.Key, g => g.Aggregate((a, b) => b.HeldOut > a.HeldOut ? b : a));
        var candidates = runs.Select(r => new TuningCandidate(r.Algorithm, r.Rate, r.K, r.HeldOut, best[r.Algorithm] == r)).ToList();
        var chosen = options with
        {
            LearningRates = best.ToDictionary(b => b.Key, b => b.Value.Rate),
            RebelCompletionsPerPrompt = best.TryGetValue("rebel", out var rebel) ? rebel.K : options.RebelCompletionsPerPrompt,
        };
        return (chosen, candidates);
    }

    // The seed's starting point and its held-out figure, built (or finished) unless start.json is already there.
    private static StartResult EnsureStart(CompareOptions options, ulong seed, IQuickstartProgress progress, CancellationToken cancel)
    {
        string setup = options.SetupDirectory(seed);
        if (!File.Exists(Path.Combine(setup, StartResult.FileName)))
        {
            progress.Message($"Seed {seed}: building the starting point in {setup}.");
            var task = options.TaskFor(seed);
            var env = File.Exists(Path.Combine(setup, "setup.json")) ? task.Load(setup) : task.Prepare(setup, progress, cancel);
            progress.Phase("eval", 1);
            var (heldOut, learned) = env.Evaluate();
            progress.Step(1, $"starting point: held-out {task.HeldOutMetric} {heldOut.MeanScore:F3}");
            Models.IO.AtomicFile.WriteText(Path.Combine(setup, StartResult.FileName), JsonSerializer.Serialize(new StartResult(heldOut.MeanScore, learned), CompareResult.Json));
        }
        return JsonSerializer.Deserialize<StartResult>(File.ReadAllText(Path.Combine(setup, StartResult.FileName)), CompareResult.Json)!;
    }

    // One (algorithm, seed) run of the plan in a child process, unless its result.json is already there.
    private static CompareResult RunOnce(CompareOptions options, ChildCommand child, string algorithm, ulong seed, IQuickstartProgress progress, CancellationToken cancel,
        string? label = null)
    {
        cancel.ThrowIfCancellationRequested();
        string dir = options.RunDirectory(algorithm, seed);
        if (!File.Exists(Path.Combine(dir, CompareResult.FileName))) RunChild(options, child, algorithm, seed, progress, cancel);
        var r = CompareResult.Read(dir);
        progress.Message($"{label ?? algorithm} seed {seed}: final reward {r.FinalReward:F3}, held-out {r.HeldOut:F3}, {r.SecondsPerIteration:F2} s/iteration, {r.PeakMemoryMb:F0} MB ({r.PeakTensorMb:F1} MB of tensors).");
        return r;
    }

    /// <summary>Reads the options a child run is given (compare.json in the output folder).</summary>
    public static CompareOptions ReadPlan(string path) =>
        JsonSerializer.Deserialize<CompareOptions>(File.ReadAllText(path), CompareResult.Json) ?? throw new InvalidDataException($"{path} is empty.");

    // The plan the children read; a folder holding results of another task or budget is refused rather than mixed in.
    private static void WritePlan(CompareOptions options)
    {
        string path = Path.Combine(options.OutputDirectory, PlanFile);
        if (File.Exists(path))
        {
            var old = ReadPlan(path);
            if (old.Task != options.Task || old.Budget != options.Budget || old.RebelCompletionsPerPrompt != options.RebelCompletionsPerPrompt
                || !old.LearningRates.OrderBy(p => p.Key).SequenceEqual(options.LearningRates.OrderBy(p => p.Key)))
                throw new InvalidOperationException($"{options.OutputDirectory} holds a comparison with another task, budget, REBEL allocation or learning rates; choose another --out.");
        }
        Models.IO.AtomicFile.WriteText(path, JsonSerializer.Serialize(options with { OutputDirectory = Path.GetFullPath(options.OutputDirectory) }, CompareResult.Json) + "\n");
    }

    // Child protocol: it prints "iteration N STATUS" lines on stdout; a non-zero exit code fails the comparison with its last error line.
    private static void RunChild(CompareOptions options, ChildCommand child, string algorithm, ulong seed, IQuickstartProgress progress, CancellationToken cancel)
    {
        var task = options.TaskFor(seed);
        progress.Phase($"{algorithm} seed {seed}", task.Rebel.Iterations);
        var start = new ProcessStartInfo(child.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in child.PrefixArguments) start.ArgumentList.Add(a);
        foreach (var a in new[] { ChildVerb, "--plan", Path.Combine(options.OutputDirectory, PlanFile), "--algo", algorithm, "--seed", $"{seed}" }) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"compare: could not start {child.FileName}.");
        var errors = new List<string>();
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lock (errors) errors.Add(line); };
        process.BeginErrorReadLine();
        using var kill = cancel.Register(() => process.Kill(entireProcessTree: true));
        while (process.StandardOutput.ReadLine() is { } line)
        {
            var parts = line.Split(' ', 3);
            if (parts.Length == 3 && parts[0] == "iteration" && int.TryParse(parts[1], out int it)) progress.Step(it, parts[2]);
        }
        process.WaitForExit();
        cancel.ThrowIfCancellationRequested();
        if (process.ExitCode != 0)
        {
            string last;
            lock (errors) last = errors.LastOrDefault(l => l.Length > 0) ?? "(no message)";
            throw new InvalidOperationException($"compare: {algorithm} seed {seed} failed with exit code {process.ExitCode}: {last}");
        }
    }
}
