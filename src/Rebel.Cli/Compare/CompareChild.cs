// The child side of `rebel compare` (the hidden compare-run subcommand): load the seed's starting point, train one algorithm with the
// shared budget, evaluate on held-out prompts and write result.json with this process's own peak memory (VmHWM from /proc).
using System.Diagnostics;
using System.Text.Json;
using Rebel.Training;
using Rebel.Training.Compare;
using Rebel.Training.Rollouts;
using CultureInfo = System.Globalization.CultureInfo;

namespace Rebel.Cli.Compare;

/// <summary>Runs one algorithm on one seed's starting point.</summary>
internal static class CompareChild
{
    /// <summary>
    /// Loads the prepared starting point of <paramref name="seed"/>, trains <paramref name="algorithm"/> with the task's budget (logging
    /// the evaluation rewards), evaluates, and writes result.json and metrics.jsonl to the run folder.
    /// </summary>
    public static CompareResult Execute(CompareOptions plan, string algorithm, ulong seed, Action<IterationResult<Rollout>>? iterationCompleted = null)
    {
        var clock = Stopwatch.StartNew();
        var task = plan.TaskFor(seed);
        var env = task.Load(plan.SetupDirectory(seed));
        var device = Accelerators.Device.Open(plan.Device);
        if (!device.IsHost) env.Policy.ToDevice(device);
        string dir = plan.RunDirectory(algorithm, seed);
        var budget = plan.WithLearningRate(algorithm, task.Rebel with { Seed = seed, MaxNewTokens = env.MaxNewTokens }); // a user task fits the length to its model's context
        var trainer = CompareRun.CreateTrainer(algorithm, env, budget, dir, plan.RebelAllocation(budget));
        trainer.EvaluationRewards = env.EvaluationRewards;
        trainer.IterationCompleted = iterationCompleted;
        trainer.Train();
        var (heldOut, learned) = env.Evaluate();
        var rows = trainer.Metrics.Rows;
        var window = rows.Skip(rows.Count - Math.Max(1, rows.Count / 10)).ToList();
        var timed = rows.Count > 1 ? rows.Skip(1) : rows;
        var result = new CompareResult(algorithm, seed, rows.Count, (long)rows[^1]["reward_queries"], window.Average(r => r["objective/scores"]),
            window[0].ContainsKey("objective/gold_scores") ? window.Average(r => r["objective/gold_scores"]) : null,
            heldOut.MeanScore, learned, window.Average(r => r["objective/kl"]), timed.Average(r => r["time/seconds_per_iteration"]),
            PeakMemoryMb(), Tensors.TensorMemory.PeakBytes / (1024.0 * 1024), clock.Elapsed.TotalSeconds, trainer.Settings.LearningRate,
            rows[^1]["optimizer_steps"] / rows.Count);
        Models.IO.AtomicFile.WriteText(Path.Combine(dir, CompareResult.FileName), JsonSerializer.Serialize(result, CompareResult.Json) + "\n");
        return result;
    }

    /// <summary>This process's peak resident memory in MB: VmHWM from /proc/self/status where it exists, else the peak working set.</summary>
    public static double PeakMemoryMb()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
        {
            foreach (var line in File.ReadLines(status))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                return double.Parse(kb, CultureInfo.InvariantCulture) / 1024;
            }
        }
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64 / (1024.0 * 1024);
    }
}
