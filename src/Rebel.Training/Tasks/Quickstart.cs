// `rebel quickstart`: an honest RL fine-tuning run end to end on a built-in task with no downloads.
// Train a BPE tokenizer and a small GPT from scratch on arithmetic word problems (supervised, stopped early),
// then improve it with REBEL against the exact-answer reward, and measure greedy accuracy on held-out problems.
using System.Diagnostics;
using System.Text.Json.Nodes;
using Rebel.Models;
using Rebel.Models.Pretrained;
using Rebel.Models.Sampling;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Training.Checkpointing;
using Rebel.Training.Reporting;
using Rebel.Training.Rewards;

namespace Rebel.Training.Tasks;

/// <summary>Progress events of the quickstart pipeline.</summary>
public interface IQuickstartProgress
{
    /// <summary>A phase starts ("tokenizer", "sft", "rebel", "eval") with its number of steps.</summary>
    void Phase(string name, int steps);

    /// <summary>A step of the current phase finished, with a short status.</summary>
    void Step(int step, string status);

    /// <summary>A line worth printing.</summary>
    void Message(string text);
}

/// <summary>Numbers written to summary.json.</summary>
public sealed record QuickstartSummary(double SftAccuracy, double RebelAccuracy, double Kl, double Seconds, double SftSeconds, double RebelSeconds,
    long Parameters, int HeldOut, ulong Seed);

/// <summary>Runs the quickstart pipeline.</summary>
public static class Quickstart
{
    /// <summary>Runs everything and writes summary.json, metrics.jsonl, report.html and both checkpoints to the output folder.</summary>
    public static QuickstartSummary Run(QuickstartOptions o, IQuickstartProgress progress, CancellationToken cancel = default)
    {
        var total = Stopwatch.StartNew();
        Directory.CreateDirectory(o.OutputDirectory);
        var (train, heldOut) = ArithmeticTask.Generate(o.Seed, o.HeldOut);
        progress.Message($"Task: {train.Count} training and {heldOut.Count} held-out arithmetic word problems (seed {o.Seed}).");

        progress.Phase("tokenizer", 1);
        var tokenizer = BpeTrainer.Train(train.Select(p => p.Prompt + p.Completion), o.VocabSize, ["<|endoftext|>"], splitPattern: BpeTrainer.DigitSplitPattern);
        int eos = tokenizer.EosTokenId ?? 0;
        progress.Step(1, $"{tokenizer.VocabSize} tokens");

        var config = ModelConfig.Preset(o.Preset, tokenizer.VocabSize, maxPositions: 64) with { EosTokenIds = [eos], BosTokenId = eos, PadTokenId = eos };
        var model = ModelFactory.Create(config, new Rng(o.Seed));
        progress.Message($"Model: GPT-2 '{o.Preset}' with {model.ParameterCount:N0} parameters.");

        var sftClock = Stopwatch.StartNew();
        var reward = new ExactReward();
        var greedy = new SamplingOptions { Temperature = 0, MaxNewTokens = o.Rebel.MaxNewTokens, EosTokenIds = [eos] };
        var validation = train.Take(o.Validation).Select((p, i) => p.ToRecord($"validation:{i + 1}")).ToList();
        progress.Phase("sft", o.Sft.Steps);
        double validationAccuracy = 0;
        var sft = new SftTrainer(model, tokenizer, [.. train.Skip(o.Validation).Select(p => new SftExample(p.Prompt, p.Completion))], o.Sft with { Seed = o.Seed })
        {
            StepCompleted = (step, loss) => progress.Step(step, $"loss {loss:F3} validation {validationAccuracy:P0}"),
        };
        // "Partly right": stop supervised training once validation accuracy reaches the target, so REBEL has room to improve.
        sft.Train(cancel, step =>
        {
            if (step % o.ValidateEvery != 0) return false;
            validationAccuracy = Evaluation.Run(model, tokenizer, validation, reward, greedy).MeanScore;
            return validationAccuracy >= o.SftTargetAccuracy;
        });
        double sftSeconds = sftClock.Elapsed.TotalSeconds;
        progress.Message($"Supervised training stopped after {sft.StepsTaken} steps (validation accuracy {validationAccuracy:P1}).");
        var heldOutRecords = heldOut.Select((p, i) => p.ToRecord($"held-out:{i + 1}")).ToList();
        progress.Phase("eval", 1);
        var before = Evaluation.Run(model, tokenizer, heldOutRecords, reward, greedy);
        progress.Step(1, $"SFT accuracy {before.MeanScore:P1}");
        progress.Message($"Supervised model: held-out accuracy {before.MeanScore:P1} after {sftSeconds:F0} s.");
        HfModelSaver.Save(model, Path.Combine(o.OutputDirectory, "sft"), tokenizer: tokenizer);

        var rebelClock = Stopwatch.StartNew();
        progress.Phase("rebel", o.Rebel.Iterations);
        var trainRecords = train.Select((p, i) => p.ToRecord($"train:{i + 1}")).ToList();
        var trainer = new RebelTrainer(model, tokenizer, trainRecords, reward, o.Rebel with { Seed = o.Seed }, o.OutputDirectory)
        {
            IterationCompleted = r => progress.Step(r.Iteration, $"score {r.Metrics["objective/scores"]:F3} kl {r.Metrics["objective/kl"]:F2}"),
            ExportPolicy = dir => HfModelSaver.Save(model, dir, tokenizer: tokenizer),
        };
        trainer.Train(cancel);
        double rebelSeconds = rebelClock.Elapsed.TotalSeconds;
        progress.Phase("eval", 1);
        var after = Evaluation.Run(model, tokenizer, heldOutRecords, reward, greedy);
        progress.Step(1, $"REBEL accuracy {after.MeanScore:P1}");
        HfModelSaver.Save(model, Path.Combine(o.OutputDirectory, "rebel"), tokenizer: tokenizer);
        double kl = trainer.Metrics.Rows.Count > 0 ? trainer.Metrics.Rows[^1]["objective/kl"] : 0;

        var summary = new QuickstartSummary(before.MeanScore, after.MeanScore, kl, total.Elapsed.TotalSeconds, sftSeconds, rebelSeconds,
            model.ParameterCount, heldOut.Count, o.Seed);
        WriteSummary(summary, Path.Combine(o.OutputDirectory, "summary.json"));
        HtmlReport.Write(Path.Combine(o.OutputDirectory, "report.html"), "rebel quickstart: arithmetic word problems",
            [("SFT held-out accuracy", $"{before.MeanScore:P1}"), ("REBEL held-out accuracy", $"{after.MeanScore:P1}"), ("KL to reference (last iteration)", $"{kl:F3}"),
             ("Parameters", $"{model.ParameterCount:N0}"), ("Seconds", $"{summary.Seconds:F0}")],
            trainer.Metrics.Rows, ["objective/scores", "objective/kl", "loss/policy_avg", "objective/entropy"],
            [.. after.Samples.Take(20).Select((s, i) => (s.Prompt, s.Completion, s.Score, before.Samples[i].Completion))]);
        return summary;
    }

    private static void WriteSummary(QuickstartSummary s, string path)
    {
        var json = new JsonObject
        {
            ["sft_accuracy"] = s.SftAccuracy,
            ["rebel_accuracy"] = s.RebelAccuracy,
            ["kl"] = s.Kl,
            ["seconds"] = s.Seconds,
            ["sft_seconds"] = s.SftSeconds,
            ["rebel_seconds"] = s.RebelSeconds,
            ["parameters"] = s.Parameters,
            ["held_out"] = s.HeldOut,
            ["seed"] = s.Seed,
        };
        Rebel.Models.IO.AtomicFile.WriteText(path, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
