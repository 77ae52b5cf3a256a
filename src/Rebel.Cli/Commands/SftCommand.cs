// `rebel sft`: supervised fine-tuning on a JSONL file of (prompt, completion) or chat messages; writes the model, metrics and report.
using System.CommandLine;
using Rebel.Tensors.Optim;
using Rebel.Training;
using Rebel.Training.Data;
using Rebel.Training.Reporting;
using Spectre.Console;

namespace Rebel.Cli.Commands;

/// <summary>Builds the sft command.</summary>
internal static class SftCommand
{
    private static readonly SftOptions D = new();

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model folder (config.json, *.safetensors, tokenizer.json).", Required = true };
        var data = CommonFlags.Data("Supervised data (.jsonl, .json or .parquet): {\"text\"}, {\"prompt\", \"completion\"} (strings or message lists), or {\"messages\": [...]} ending with the assistant's completion.");
        var output = CommonFlags.Out(Path.Combine("runs", "sft"), "Output folder (model/, metrics.jsonl, report.html).");
        var steps = new Option<int?>("--steps", "--max-steps") { Description = $"Optimizer steps (default {D.Steps})." };
        var batch = new Option<int?>("--batch-size", "--per-device-train-batch-size") { Description = $"Examples per step (default {D.BatchSize})." };
        var lr = new Option<float?>("--lr", "--learning-rate") { Description = $"Peak learning rate (default {D.LearningRate}; ~1e-5 for pretrained models)." };
        var schedule = new Option<string?>("--schedule", "--lr-scheduler-type") { Description = "Learning-rate schedule: cosine (default), linear or constant." }.AcceptOnlyFromAmong("linear", "cosine", "constant");
        var warmup = new Option<int?>("--warmup-steps") { Description = $"Linear warmup steps (default {D.WarmupSteps})." };
        var seed = new Option<ulong?>("--seed") { Description = $"Seed of the data order (default {D.Seed})." };
        var chat = ModelFolder.ChatTemplateOption();
        var lora = new LoraFlags();
        var config = CommonFlags.Config();
        var device = CommonFlags.Device();
        var cmd = new Command("sft", "Supervised fine-tuning (loss on completion tokens only). Writes model/ (with --lora-*: adapter/), metrics.jsonl and report.html to --out.")
        {
            model, data, output, steps, batch, lr, schedule, warmup, seed, chat, config, device,
        };
        foreach (var f in lora.All) cmd.Options.Add(f);
        cmd.SetGuardedAction(parse =>
        {
            CommonFlags.OpenDevice(parse, device);
            var folder = ModelFolder.Load(parse.GetValue(model)!, lora.BaseInBf16(parse));
            var examples = SftDataset.Load(parse.GetValue(data)!, folder.Template(parse.GetValue(chat)));
            var options = D with
            {
                Steps = parse.GetValue(steps) ?? D.Steps,
                BatchSize = parse.GetValue(batch) ?? D.BatchSize,
                LearningRate = parse.GetValue(lr) ?? D.LearningRate,
                Schedule = parse.GetValue(schedule) switch { null => D.Schedule, "linear" => LrScheduleKind.Linear, "constant" => LrScheduleKind.Constant, _ => LrScheduleKind.Cosine },
                WarmupSteps = parse.GetValue(warmup) ?? D.WarmupSteps,
                Seed = parse.GetValue(seed) ?? D.Seed,
            };
            lora.Attach(parse, folder.Model, options.Seed);
            CommonFlags.MoveToDevice(parse, device, folder.Model);
            return Run(folder, examples, options, parse.GetValue(output)!);
        });
        return cmd;
    }

    private static int Run(ModelFolder folder, IReadOnlyList<SftExample> examples, SftOptions options, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var metrics = MetricsLog.Create(Path.Combine(outDir, "metrics.jsonl"));
        Hyperparameters.Write(outDir, "sft", options);
        var trainer = new SftTrainer(folder.Model, folder.Tokenizer, examples, options);
        ProgressDisplay.Run(progress =>
        {
            progress.Phase("sft", options.Steps);
            trainer.StepCompleted = (step, loss) =>
            {
                metrics.Append(new Dictionary<string, double> { ["step"] = step, ["loss"] = loss, ["lr"] = trainer.LearningRate });
                progress.Step(step, $"loss {loss:F4}");
            };
            return trainer.Train();
        });
        string modelDir = LoraFlags.SavePolicy(folder, outDir);
        var rows = metrics.Rows;
        var summary = new List<(string, string)>
        {
            ("model", folder.Directory), ("examples", $"{examples.Count}"), ("steps", $"{trainer.StepsTaken}"),
            ("loss (first step)", $"{rows[0]["loss"]:F4}"), ("loss (last step)", $"{rows[^1]["loss"]:F4}"),
        };
        HtmlReport.Write(Path.Combine(outDir, "report.html"), $"rebel sft: {Path.GetFileName(Path.GetFullPath(folder.Directory))}",
            summary, [.. rows.Select(r => (IReadOnlyDictionary<string, double>)new Dictionary<string, double>(r) { ["iteration"] = r["step"] })], ["loss", "lr"], []);
        var table = new Table().AddColumn("metric").AddColumn("value");
        foreach (var (name, value) in summary) table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Terminal.Out.Write(table);
        Terminal.Out.MarkupLine($"Wrote [green]{Markup.Escape(Path.GetFullPath(outDir))}[/] ({modelDir}/, metrics.jsonl, report.html).");
        return 0;
    }
}
