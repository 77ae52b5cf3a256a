// `rebel quickstart`: an honest RL fine-tuning run end to end on a built-in task with no downloads.
// Build the task's starting point from scratch (tokenizer, supervised GPT, and for rlhf a reward model learned from gold labels),
// improve it with REBEL against the task's reward, and evaluate greedily on held-out prompts before and after.
using System.Diagnostics;
using System.Text.Json.Nodes;
using Rebel.Models.Pretrained;
using Rebel.Training.Reporting;

namespace Rebel.Training.Tasks;

/// <summary>Progress events of the quickstart and compare pipelines.</summary>
public interface IQuickstartProgress
{
    /// <summary>A phase starts ("tokenizer", "sft", "reward", "rebel", "eval", …) with its number of steps.</summary>
    void Phase(string name, int steps);

    /// <summary>A step of the current phase finished, with a short status.</summary>
    void Step(int step, string status);

    /// <summary>A line worth printing.</summary>
    void Message(string text);
}

/// <summary>Numbers written to summary.json.</summary>
/// <param name="Task">The task's name.</param>
/// <param name="HeldOutMetric">What the held-out figures measure ("accuracy", "gold_reward").</param>
/// <param name="SftHeldOut">Held-out figure of the supervised model.</param>
/// <param name="RebelHeldOut">Held-out figure after REBEL.</param>
/// <param name="SftLearned">The learned reward of the supervised model's held-out completions (tasks with a reward model), else null.</param>
/// <param name="RebelLearned">The same after REBEL.</param>
/// <param name="Kl">KL to the reference at the last iteration.</param>
/// <param name="Seconds">Whole run.</param>
/// <param name="SftSeconds">Building the starting point (tokenizer, supervised model, reward model).</param>
/// <param name="RebelSeconds">REBEL iterations.</param>
/// <param name="Parameters">Policy parameters.</param>
/// <param name="HeldOut">Held-out prompts.</param>
/// <param name="Seed">Seed.</param>
/// <param name="Facts">The starting point's facts (supervised steps, reward-model held-out accuracy, …).</param>
public sealed record QuickstartSummary(string Task, string HeldOutMetric, double SftHeldOut, double RebelHeldOut, double? SftLearned, double? RebelLearned,
    double Kl, double Seconds, double SftSeconds, double RebelSeconds, long Parameters, int HeldOut, ulong Seed, IReadOnlyDictionary<string, double> Facts);

/// <summary>Runs the quickstart pipeline.</summary>
public static class Quickstart
{
    /// <summary>Runs everything and writes summary.json, metrics.jsonl, report.html, the models (sft/, reward/ for rlhf, rebel/) and checkpoint/.</summary>
    public static QuickstartSummary Run(IBuiltInTask task, string outputDirectory, IQuickstartProgress progress, CancellationToken cancel = default)
    {
        var total = Stopwatch.StartNew();
        var env = task.Prepare(outputDirectory, progress, cancel);
        double sftSeconds = total.Elapsed.TotalSeconds;
        progress.Phase("eval", 1);
        var before = env.Evaluate();
        progress.Step(1, $"SFT {task.HeldOutMetric} {before.HeldOut.MeanScore:F3}");
        progress.Message($"Supervised model: held-out {task.HeldOutMetric} {before.HeldOut.MeanScore:F3} after {sftSeconds:F0} s.");

        var rebelClock = Stopwatch.StartNew();
        progress.Phase("rebel", task.Rebel.Iterations);
        var trainer = new RebelTrainer(env.Policy, env.Tokenizer, env.Train, env.Reward, task.Rebel with { Seed = task.Seed }, outputDirectory)
        {
            EvaluationRewards = env.EvaluationRewards,
            IterationCompleted = r => progress.Step(r.Iteration, $"score {r.Metrics["objective/scores"]:F3} kl {r.Metrics["objective/kl"]:F2}"),
            ExportPolicy = dir => HfModelSaver.Save(env.Policy, dir, tokenizer: env.Tokenizer),
        };
        trainer.Train(cancel);
        double rebelSeconds = rebelClock.Elapsed.TotalSeconds;
        progress.Phase("eval", 1);
        var after = env.Evaluate();
        progress.Step(1, $"REBEL {task.HeldOutMetric} {after.HeldOut.MeanScore:F3}");
        HfModelSaver.Save(env.Policy, Path.Combine(outputDirectory, "rebel"), tokenizer: env.Tokenizer);
        double kl = trainer.Metrics.Rows.Count > 0 ? trainer.Metrics.Rows[^1]["objective/kl"] : 0;

        var summary = new QuickstartSummary(task.Name, task.HeldOutMetric, before.HeldOut.MeanScore, after.HeldOut.MeanScore, before.Learned, after.Learned,
            kl, total.Elapsed.TotalSeconds, sftSeconds, rebelSeconds, env.Policy.ParameterCount, env.HeldOut.Count, task.Seed, env.Facts);
        Rebel.Models.IO.AtomicFile.WriteText(Path.Combine(outputDirectory, "summary.json"),
            ToJson(summary).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        var curves = env.EvaluationRewards.Keys.Select(k => $"objective/{k}_scores").Prepend("objective/scores").Concat(["objective/kl", "loss/policy_avg", "objective/entropy"]);
        HtmlReport.Write(Path.Combine(outputDirectory, "report.html"), $"rebel quickstart --task {task.Name}",
            SummaryRows(summary), trainer.Metrics.Rows, [.. curves],
            [.. after.HeldOut.Samples.Take(20).Select((s, i) => (s.Prompt, s.Completion, s.Score, before.HeldOut.Samples[i].Completion))]);
        return summary;
    }

    /// <summary>Human-readable rows of a summary (console table and report).</summary>
    public static List<(string Name, string Value)> SummaryRows(QuickstartSummary s)
    {
        string F(double v) => s.HeldOutMetric == "accuracy" ? $"{v:P1}" : $"{v:F3}";
        var metric = s.HeldOutMetric.Replace('_', ' ');
        var rows = new List<(string, string)> { ($"SFT held-out {metric}", F(s.SftHeldOut)), ($"REBEL held-out {metric}", F(s.RebelHeldOut)) };
        if (s.SftLearned is { } a && s.RebelLearned is { } b) rows.Add(("held-out learned reward (SFT → REBEL)", $"{a:F3} → {b:F3}"));
        if (s.Facts.TryGetValue("rm_held_out_accuracy", out var rm)) rows.Add(("reward model held-out pairwise accuracy", $"{rm:P1}"));
        rows.Add(("KL to reference (last iteration)", $"{s.Kl:F3}"));
        rows.Add(("parameters", $"{s.Parameters:N0}"));
        rows.Add(("seconds", $"{s.Seconds:F0}"));
        return rows;
    }

    private static JsonObject ToJson(QuickstartSummary s)
    {
        var json = new JsonObject
        {
            ["task"] = s.Task,
            [$"sft_{s.HeldOutMetric}"] = s.SftHeldOut,
            [$"rebel_{s.HeldOutMetric}"] = s.RebelHeldOut,
            ["kl"] = s.Kl,
            ["seconds"] = s.Seconds,
            ["sft_seconds"] = s.SftSeconds,
            ["rebel_seconds"] = s.RebelSeconds,
            ["parameters"] = s.Parameters,
            ["held_out"] = s.HeldOut,
            ["seed"] = s.Seed,
        };
        if (s.SftLearned is { } a) json["sft_learned_reward"] = a;
        if (s.RebelLearned is { } b) json["rebel_learned_reward"] = b;
        foreach (var (k, v) in s.Facts) json[k] = v;
        return json;
    }
}
