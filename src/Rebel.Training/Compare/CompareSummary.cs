// The comparison's results: per algorithm, mean and spread over seeds of every figure (summary.json), a table, and
// reward-versus-reward-queries curves averaged over seeds (report.html).
using System.Globalization;
using System.Text.Json.Nodes;
using Rebel.Training.Reporting;

namespace Rebel.Training.Compare;

/// <summary>Mean and sample standard deviation (n − 1) over seeds; one seed has no spread (<see cref="Std"/> null), and none is printed.</summary>
/// <param name="Mean">Mean.</param>
/// <param name="Std">Sample standard deviation, or null for a single value.</param>
public sealed record Spread(double Mean, double? Std)
{
    /// <summary>The spread of <paramref name="values"/>.</summary>
    public static Spread Of(IEnumerable<double> values)
    {
        var v = values.ToList();
        return new Spread(v.Average(), v.Count >= 2 ? RolloutMetrics.Std(v) : null);
    }

    /// <summary>{"mean", "std"}, or {"mean"} for one value.</summary>
    public JsonObject ToJson() => Std is { } std ? new() { ["mean"] = Mean, ["std"] = std } : new() { ["mean"] = Mean };

    /// <summary>"mean ± std" with <paramref name="format"/>, or "mean" for one value; <paramref name="scale"/> multiplies both (100 for percentages).</summary>
    public string Format(string format, double scale = 1, string unit = "") =>
        (scale * Mean).ToString(format, CultureInfo.InvariantCulture) + unit + (Std is { } std ? " ± " + (scale * std).ToString(format, CultureInfo.InvariantCulture) : "");
}

/// <summary>One algorithm's figures over seeds; gold figures only for tasks with a learned reward; learning rate and optimizer steps where recorded.</summary>
public sealed record AlgorithmSummary(string Algorithm, int Runs, Spread FinalReward, Spread? FinalGoldReward, Spread HeldOut, Spread? HeldOutLearnedReward,
    Spread Kl, Spread SecondsPerIteration, Spread PeakMemoryMb, Spread? PeakTensorMb, Spread RewardQueries, double? LearningRate = null, double? OptimizerStepsPerIteration = null);

/// <summary>One run of the learning-rate sweep (<see cref="CompareOptions.Tune"/>) on the tuning seed.</summary>
/// <param name="Algorithm">The algorithm.</param>
/// <param name="LearningRate">The candidate learning rate.</param>
/// <param name="RebelCompletionsPerPrompt">REBEL's candidate completions per prompt (REBEL only).</param>
/// <param name="HeldOut">Its held-out figure on the tuning seed, by which the candidates are ranked.</param>
/// <param name="Chosen">Whether the comparison uses this candidate.</param>
public sealed record TuningCandidate(string Algorithm, float LearningRate, int? RebelCompletionsPerPrompt, double HeldOut, bool Chosen)
{
    /// <summary>{"algorithm", "learning_rate", ["rebel_completions_per_prompt"], "held_out", "chosen"}.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject { ["algorithm"] = Algorithm, ["learning_rate"] = LearningRate, ["held_out"] = HeldOut, ["chosen"] = Chosen };
        if (RebelCompletionsPerPrompt is { } k) o["rebel_completions_per_prompt"] = k;
        return o;
    }
}

/// <summary>The whole comparison.</summary>
/// <param name="Task">Task name.</param>
/// <param name="HeldOutMetric">What the held-out figure measures.</param>
/// <param name="Seeds">Seeds run.</param>
/// <param name="Budget">Iterations, prompts per iteration and completions per prompt every algorithm used.</param>
/// <param name="RebelBudget">REBEL's options: the same reward queries, allocated as <see cref="CompareOptions.RebelCompletionsPerPrompt"/> says.</param>
/// <param name="Start">Held-out figure of the starting points (before RL) over seeds.</param>
/// <param name="StartLearned">Their learned reward on the same completions (tasks with a learned reward), else null.</param>
/// <param name="Algorithms">Per-algorithm figures, in the order run.</param>
/// <param name="Curves">Per algorithm: (reward queries, mean score, mean gold score or NaN) per iteration, averaged over seeds.</param>
/// <param name="Tuning">The learning-rate sweep's runs on the tuning seed (<see cref="CompareOptions.Tune"/>), or null without one.</param>
/// <param name="TuningSeed">The seed the sweep ran on.</param>
public sealed record CompareSummary(string Task, string HeldOutMetric, int Seeds, RebelOptions Budget, RebelOptions RebelBudget, Spread Start, Spread? StartLearned, IReadOnlyList<AlgorithmSummary> Algorithms,
    IReadOnlyDictionary<string, IReadOnlyList<(double Queries, double Score, double Gold)>> Curves, IReadOnlyList<TuningCandidate>? Tuning = null, ulong TuningSeed = 0)
{
    /// <summary>Aggregates the runs' results and metrics.jsonl files, and the sweep's candidates when there was one.</summary>
    public static CompareSummary From(CompareOptions options, IReadOnlyList<StartResult> starts, IReadOnlyList<CompareResult> results, IReadOnlyList<TuningCandidate>? tuning = null)
    {
        var task = options.TaskFor(1);
        var algorithms = new List<AlgorithmSummary>();
        var curves = new Dictionary<string, IReadOnlyList<(double, double, double)>>();
        foreach (var group in results.GroupBy(r => r.Algorithm))
        {
            var g = group.ToList();
            Spread? Optional(Func<CompareResult, double?> f) => g.All(r => f(r) is not null) ? Spread.Of(g.Select(r => f(r)!.Value)) : null;
            algorithms.Add(new AlgorithmSummary(group.Key, g.Count, Spread.Of(g.Select(r => r.FinalReward)), Optional(r => r.FinalGoldReward),
                Spread.Of(g.Select(r => r.HeldOut)), Optional(r => r.HeldOutLearnedReward), Spread.Of(g.Select(r => r.Kl)),
                Spread.Of(g.Select(r => r.SecondsPerIteration)), Spread.Of(g.Select(r => r.PeakMemoryMb)), Optional(r => r.PeakTensorMb), Spread.Of(g.Select(r => (double)r.RewardQueries)),
                g.All(r => r.LearningRate is not null) ? g.Average(r => r.LearningRate!.Value) : null,
                g.All(r => r.OptimizerStepsPerIteration is not null) ? g.Average(r => r.OptimizerStepsPerIteration!.Value) : null));
            var logs = g.Select(r => MetricsLog.Read(Path.Combine(options.RunDirectory(r.Algorithm, r.Seed), "metrics.jsonl"))).ToList();
            int n = logs.Min(l => l.Count);
            curves[group.Key] = [.. Enumerable.Range(0, n).Select(i => (logs.Average(l => l[i]["reward_queries"]), logs.Average(l => l[i]["objective/scores"]),
                logs.Average(l => l[i].TryGetValue("objective/gold_scores", out var gold) ? gold : double.NaN)))];
        }
        var startLearned = starts.All(s => s.HeldOutLearnedReward is not null) ? Spread.Of(starts.Select(s => s.HeldOutLearnedReward!.Value)) : null;
        return new CompareSummary(task.Name, task.HeldOutMetric, options.Seeds, task.Rebel, options.RebelAllocation(task.Rebel), Spread.Of(starts.Select(s => s.HeldOut)), startLearned, algorithms, curves,
            tuning, options.TuningSeed);
    }

    /// <summary>How REBEL spent the budget, e.g. "64 prompts × 4 completions per iteration, all pairs".</summary>
    public string RebelAllocationText => $"{RebelBudget.PromptsPerIteration} prompts × {RebelBudget.CompletionsPerPrompt} completions per iteration, " +
        (RebelBudget.CompletionsPerPrompt == 2 ? "one pair each" : RebelBudget.Pairing == PairingMode.AllPairs ? "all pairs" : "best paired with worst");

    private string HeldOutKey => $"held_out_{HeldOutMetric}";

    /// <summary>What ± means: the standard deviation over seeds, or that one seed has none.</summary>
    public string SpreadText => Seeds >= 2 ? $"± is the standard deviation over {Seeds} seeds" : "one seed: no spread shown (two or more seeds give the mean and standard deviation)";

    /// <summary>The sweep in one line: the seed, what ranked the candidates, and each algorithm's candidates with the chosen one marked.</summary>
    public string TuningText => Tuning is null ? "none: every algorithm used the task's learning rate" :
        $"learning rate{(Tuning.Any(c => c.RebelCompletionsPerPrompt is not null) ? " (and REBEL's completions per prompt)" : "")} chosen per algorithm by held-out {HeldOutMetric} on tuning seed {TuningSeed}, not a reported seed: " +
        string.Join("; ", Tuning.GroupBy(c => c.Algorithm).Select(g => $"{g.Key} " + string.Join(", ", g.Select(c =>
            $"{c.LearningRate.ToString("G3", CultureInfo.InvariantCulture)}{(c.RebelCompletionsPerPrompt is { } k ? $" with {k} per prompt" : "")} → {c.HeldOut.ToString("F3", CultureInfo.InvariantCulture)}{(c.Chosen ? " (chosen)" : "")}"))));

    /// <summary>summary.json: the budget, and per algorithm {mean, std} of every figure.</summary>
    public JsonObject ToJson()
    {
        var algorithms = new JsonObject();
        foreach (var a in Algorithms)
        {
            var o = new JsonObject
            {
                ["runs"] = a.Runs, ["final_reward"] = a.FinalReward.ToJson(), [HeldOutKey] = a.HeldOut.ToJson(), ["kl"] = a.Kl.ToJson(),
                ["seconds_per_iteration"] = a.SecondsPerIteration.ToJson(), ["peak_memory_mb"] = a.PeakMemoryMb.ToJson(), ["reward_queries"] = a.RewardQueries.ToJson(),
            };
            if (a.PeakTensorMb is { } t) o["peak_tensor_mb"] = t.ToJson();
            if (a.LearningRate is { } lr) o["learning_rate"] = lr;
            if (a.OptimizerStepsPerIteration is { } steps) o["optimizer_steps_per_iteration"] = steps;
            if (a.FinalGoldReward is { } g) o["final_gold_reward"] = g.ToJson();
            if (a.HeldOutLearnedReward is { } l) o["held_out_learned_reward"] = l.ToJson();
            algorithms[a.Algorithm] = o;
        }
        var start = new JsonObject { [HeldOutKey] = Start.ToJson() };
        if (StartLearned is { } sl) start["held_out_learned_reward"] = sl.ToJson();
        var json = new JsonObject
        {
            ["task"] = Task, ["held_out_metric"] = HeldOutMetric, ["seeds"] = Seeds, ["start"] = start,
            ["budget"] = new JsonObject
            {
                ["iterations"] = Budget.Iterations, ["prompts_per_iteration"] = Budget.PromptsPerIteration, ["completions_per_prompt"] = Budget.CompletionsPerPrompt,
                ["reward_queries"] = (long)Budget.Iterations * Budget.PromptsPerIteration * Budget.CompletionsPerPrompt,
                ["rebel_prompts_per_iteration"] = RebelBudget.PromptsPerIteration, ["rebel_completions_per_prompt"] = RebelBudget.CompletionsPerPrompt,
                ["rebel_pairing"] = RebelBudget.CompletionsPerPrompt == 2 ? "pair" : RebelBudget.Pairing == PairingMode.AllPairs ? "all-pairs" : "best-worst",
            },
            ["algorithms"] = algorithms,
        };
        if (Tuning is not null)
            json["tuning"] = new JsonObject { ["seed"] = TuningSeed, ["ranked_by"] = HeldOutKey, ["candidates"] = new JsonArray([.. Tuning.Select(c => (JsonNode)c.ToJson())]) };
        return json;
    }

    /// <summary>The table's header and rows (console and report alike).</summary>
    public (List<string> Header, List<List<string>> Rows) Table()
    {
        bool gold = Algorithms.Any(a => a.FinalGoldReward is not null);
        var header = new List<string> { "algorithm", "final reward" };
        if (gold) header.Add("final gold reward");
        header.Add(HeldOutMetric switch { "accuracy" => "held-out accuracy", "gold_reward" => "held-out gold reward", _ => $"held-out {HeldOutMetric}" });
        if (gold) header.Add("held-out learned reward");
        header.AddRange(["KL", "s / iteration", "peak memory MB", "peak tensor MB", "reward queries", "learning rate", "optimizer steps / iteration"]);
        string HeldOut(Spread s) => HeldOutMetric == "accuracy" ? s.Format("F1", 100, " %") : s.Format("F3");
        var start = new List<string> { "start (supervised)", "" };
        if (gold) start.Add("");
        start.Add(HeldOut(Start));
        if (gold) start.Add(StartLearned?.Format("F3") ?? "");
        start.AddRange(["0", "", "", "", "0", "", ""]);
        var rows = Algorithms.Select(a =>
        {
            var row = new List<string> { a.Algorithm, a.FinalReward.Format("F3") };
            if (gold) row.Add(a.FinalGoldReward?.Format("F3") ?? "");
            row.Add(HeldOut(a.HeldOut));
            if (gold) row.Add(a.HeldOutLearnedReward?.Format("F3") ?? "");
            row.AddRange([a.Kl.Format("F3"), a.SecondsPerIteration.Format("F2"), a.PeakMemoryMb.Format("F0"), a.PeakTensorMb?.Format("F1") ?? "", $"{a.RewardQueries.Mean:F0}",
                a.LearningRate is { } lr ? lr.ToString("G3", CultureInfo.InvariantCulture) : "", a.OptimizerStepsPerIteration is { } steps ? $"{steps:G4}" : ""]);
            return row;
        }).Prepend(start).ToList();
        return (header, rows);
    }

    /// <summary>Writes summary.json and report.html to the output folder.</summary>
    public void Write(CompareOptions options)
    {
        Models.IO.AtomicFile.WriteText(Path.Combine(options.OutputDirectory, "summary.json"),
            ToJson().ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        var (header, rows) = Table();
        var charts = new List<string> { HtmlReport.Chart("training reward (objective/scores)", Series(c => c.Score), "reward queries") };
        if (Curves.Values.Any(c => c.Any(p => double.IsFinite(p.Gold))))
            charts.Add(HtmlReport.Chart("gold reward of the rollouts (objective/gold_scores)", Series(c => c.Gold), "reward queries"));
        string html = HtmlReport.Table(header, rows) + "<h2>Reward versus reward queries (mean over seeds)</h2><div class=\"charts\">" + string.Concat(charts) + "</div>";
        var about = new List<(string, string)>
        {
            ("task", Task), ("seeds", $"{Seeds}"),
            ("budget per run", $"{Budget.Iterations} iterations × {Budget.PromptsPerIteration} prompts × {Budget.CompletionsPerPrompt} completions"),
            ("REBEL", RebelAllocationText),
            ("spread", SpreadText),
            ("memory", "peak memory: the run's peak resident size (VmHWM, runtime included); peak tensor: its most live tensor storage at once (weights, gradients, optimizer state, activations)"),
        };
        if (Tuning is not null) about.Add(("tuning", TuningText));
        HtmlReport.Write(Path.Combine(options.OutputDirectory, "report.html"), $"rebel compare --task {Task}", about, [], [], [], html);
    }

    private List<(string Name, IReadOnlyList<(double X, double Y)> Points)> Series(Func<(double Queries, double Score, double Gold), double> y) =>
        [.. Curves.Select(c => (c.Key, (IReadOnlyList<(double, double)>)[.. c.Value.Select(p => (p.Queries, y(p)))]))];
}
