// `rebel dpo`: offline DPO on a {"prompt", "chosen", "rejected"} JSONL file; writes metrics, a report and the policy.
using System.CommandLine;
using Rebel.Training;
using Rebel.Training.Data;
using Rebel.Training.Reporting;
using Spectre.Console;

namespace Rebel.Cli.Commands;

/// <summary>Builds the dpo command.</summary>
internal static class DpoCommand
{
    private static readonly string[] Curves = ["loss/policy_avg", "rewards/accuracies", "rewards/margins"];

    public static Command Create()
    {
        var d = new DpoOptions();
        var model = new Option<string>("--model") { Description = "Hugging Face model folder; also the fixed reference π_ref.", Required = true };
        var pairs = CommonFlags.Data(CommonFlags.PairsHelp, "--pairs");
        var output = CommonFlags.Out(Path.Combine("runs", "dpo"));
        var chat = ModelFolder.ChatTemplateOption();
        var beta = new Option<float?>("--beta") { Description = $"β of the implicit reward (default {d.Beta})." };
        var epochs = new Option<int?>("--epochs", "--num-train-epochs") { Description = $"Passes over the pairs (default {d.Epochs})." };
        var batch = new Option<int?>("--batch-size", "--batch-pairs", "--per-device-train-batch-size") { Description = $"Pairs per optimizer step (default {d.BatchPairs})." };
        var lr = new Option<float?>("--lr", "--learning-rate") { Description = $"Peak learning rate (default {d.LearningRate})." };
        var warmup = new Option<int?>("--warmup-steps") { Description = $"Linear warmup optimizer steps (default {d.WarmupSteps})." };
        var lora = new LoraFlags();
        var seed = new Option<ulong?>("--seed") { Description = $"Seed of the pair order (default {d.Seed})." };
        var config = CommonFlags.Config();
        var device = CommonFlags.Device();
        var cmd = new Command("dpo", "Fine-tune a model with offline DPO on preference pairs. Writes metrics.jsonl, report.html and model/ (policy/: a link to it, the former name; with --lora-*: adapter/) to --out.")
        {
            model, pairs, output, chat, beta, epochs, batch, lr, warmup, seed, config, device,
        };
        foreach (var f in lora.All) cmd.Options.Add(f);
        cmd.SetGuardedAction(parse =>
        {
            CommonFlags.OpenDevice(parse, device);
            var folder = ModelFolder.Load(parse.GetValue(model)!, lora.BaseInBf16(parse));
            var records = PreferenceDataset.Load(parse.GetValue(pairs)!, folder.Template(parse.GetValue(chat)));
            var options = d with
            {
                Beta = parse.GetValue(beta) ?? d.Beta, Epochs = parse.GetValue(epochs) ?? d.Epochs, BatchPairs = parse.GetValue(batch) ?? d.BatchPairs,
                LearningRate = parse.GetValue(lr) ?? d.LearningRate, WarmupSteps = parse.GetValue(warmup) ?? d.WarmupSteps, Seed = parse.GetValue(seed) ?? d.Seed,
            };
            lora.Attach(parse, folder.Model, options.Seed);
            CommonFlags.MoveToDevice(parse, device, folder.Model);
            string outDir = parse.GetValue(output)!;
            var trainer = new DpoTrainer(folder.Model, folder.Tokenizer, records, options, outDir);
            int steps = options.Epochs * ((trainer.PairCount + options.BatchPairs - 1) / options.BatchPairs);
            ProgressDisplay.Run(progress =>
            {
                progress.Phase("dpo", steps);
                trainer.StepCompleted = row => progress.Step((int)row["iteration"], $"loss {row["loss/policy_avg"]:F4} acc {row["rewards/accuracies"]:F2}");
                trainer.Train();
                return 0;
            });
            string policyDir = LoraFlags.SavePolicy(folder, outDir, formerName: "policy");
            var last = trainer.Metrics.Rows[^1];
            var summary = new List<(string, string)>
            {
                ("model", folder.Directory), ("pairs", $"{trainer.PairCount}"), ("steps", $"{trainer.Step}"),
                ("loss (last step)", $"{last["loss/policy_avg"]:F4}"), ("accuracy (last step)", $"{last["rewards/accuracies"]:F3}"),
            };
            HtmlReport.Write(Path.Combine(outDir, "report.html"), $"rebel dpo: {Path.GetFileName(Path.GetFullPath(folder.Directory))}", summary, trainer.Metrics.Rows, Curves, []);
            var table = new Table().AddColumn("metric").AddColumn("value");
            foreach (var (name, value) in summary) table.AddRow(Markup.Escape(name), Markup.Escape(value));
            Terminal.Out.Write(table);
            Terminal.Out.MarkupLine($"Wrote [green]{Markup.Escape(Path.GetFullPath(outDir))}[/] (metrics.jsonl, report.html, {policyDir}/).");
            return 0;
        });
        return cmd;
    }
}
