// One (algorithm, seed) run of `rebel compare`: load the seed's starting point, train with the shared budget, evaluate on held-out
// prompts and write result.json. `rebel compare` runs each in a child process, so the peak memory it reports is that run's alone.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Rebel.Training.Tasks;

namespace Rebel.Training.Compare;

/// <summary>What one run measured (result.json, snake_case).</summary>
/// <param name="Algorithm">The algorithm.</param>
/// <param name="Seed">The seed.</param>
/// <param name="Iterations">Iterations run.</param>
/// <param name="RewardQueries">Completions scored by the training reward.</param>
/// <param name="FinalReward">Mean training-reward score of the rollouts over the last tenth of the iterations.</param>
/// <param name="FinalGoldReward">The same for the gold scorer (tasks with a learned reward), else null.</param>
/// <param name="HeldOut">Greedy held-out figure (accuracy, or gold reward).</param>
/// <param name="HeldOutLearnedReward">The learned reward of the same held-out completions (tasks with a learned reward), else null.</param>
/// <param name="Kl">Mean sequence KL to the reference over the last tenth of the iterations.</param>
/// <param name="SecondsPerIteration">Mean seconds per iteration, the first (JIT warm-up) left out when there are more.</param>
/// <param name="PeakMemoryMb">Peak resident memory of the run's process (VmHWM; else the peak working set).</param>
/// <param name="PeakTensorMb">
/// Peak live tensor storage of the run (parameters, gradients, optimizer state, activations held by scopes; <see cref="Tensors.TensorMemory"/>),
/// the algorithm's share of <paramref name="PeakMemoryMb"/>; null in results written before it was recorded.
/// </param>
/// <param name="Seconds">Wall time of the whole run (loading, training, evaluation).</param>
public sealed record CompareResult(string Algorithm, ulong Seed, int Iterations, long RewardQueries, double FinalReward, double? FinalGoldReward,
    double HeldOut, double? HeldOutLearnedReward, double Kl, double SecondsPerIteration, double PeakMemoryMb, double? PeakTensorMb, double Seconds)
{
    /// <summary>File name of a run's result.</summary>
    public const string FileName = "result.json";

    /// <summary>result.json's naming: snake_case, indented.</summary>
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>Reads a run's result.json.</summary>
    public static CompareResult Read(string runDirectory) =>
        JsonSerializer.Deserialize<CompareResult>(File.ReadAllText(Path.Combine(runDirectory, FileName)), Json)
            ?? throw new InvalidDataException($"{Path.Combine(runDirectory, FileName)} is empty.");
}

/// <summary>Runs one algorithm on one seed's starting point.</summary>
public static class CompareRun
{
    /// <summary>
    /// Loads the prepared starting point of <paramref name="seed"/>, trains <paramref name="algorithm"/> with the task's budget (logging
    /// the evaluation rewards), evaluates, and writes result.json and metrics.jsonl to the run folder.
    /// </summary>
    public static CompareResult Execute(CompareOptions plan, string algorithm, ulong seed, Action<IterationResult<Rollouts.Rollout>>? iterationCompleted = null)
    {
        var clock = Stopwatch.StartNew();
        var task = plan.TaskFor(seed);
        var env = task.Load(plan.SetupDirectory(seed));
        string dir = plan.RunDirectory(algorithm, seed);
        var budget = task.Rebel with { Seed = seed };
        var trainer = CreateTrainer(algorithm, env, budget, dir, plan.RebelAllocation(budget));
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
            PeakMemoryMb(), Tensors.TensorMemory.PeakBytes / (1024.0 * 1024), clock.Elapsed.TotalSeconds);
        Models.IO.AtomicFile.WriteText(Path.Combine(dir, CompareResult.FileName), JsonSerializer.Serialize(result, CompareResult.Json) + "\n");
        return result;
    }

    /// <summary>
    /// The trainer of <paramref name="algorithm"/> with the budget of <paramref name="r"/>: every baseline gets REBEL's iterations, prompts
    /// per iteration, completions per prompt (so equal reward queries), length, temperature, learning rate and schedule, KL coefficient
    /// (online DPO keeps its score-only labelling) and optimizer steps of the same number of sequences (2 × REBEL's pairs per step);
    /// epochs and the method's own settings keep each method's defaults (PPO: 4 epochs, critic, GAE, clipping). REBEL runs with
    /// <paramref name="rebel"/> if given (the same queries allocated otherwise, <see cref="CompareOptions.RebelAllocation"/>), else <paramref name="r"/>.
    /// </summary>
    public static LanguagePolicyTrainer CreateTrainer(string algorithm, TaskEnvironment env, RebelOptions r, string directory, RebelOptions? rebel = null)
    {
        BaselineOptions Shared(BaselineOptions d) => d with
        {
            Iterations = r.Iterations, PromptsPerIteration = r.PromptsPerIteration, CompletionsPerPrompt = r.CompletionsPerPrompt,
            MaxNewTokens = r.MaxNewTokens, Temperature = r.Temperature, NoEosScore = r.NoEosScore, LearningRate = r.LearningRate,
            Schedule = r.Schedule, AdamEpsilon = r.AdamEpsilon, MaxGradNorm = r.MaxGradNorm, Seed = r.Seed,
            KlCoefficient = d is OnlineDpoOptions ? d.KlCoefficient : r.KlCoefficient,
            MiniBatchSize = d is OnlineDpoOptions ? r.MiniBatchPairs : 2 * r.MiniBatchPairs,
        };
        var algo = Algorithms.Find(algorithm);
        LanguagePolicyOptions options = algo.Defaults is BaselineOptions d ? Shared(d) : rebel ?? r;
        return algo.Create(new TrainerInputs(env.Policy, env.Tokenizer, env.Train, env.Reward, directory), options);
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
