// `rebel reward`: trains a Bradley–Terry reward model on preference pairs; prints held-out pairwise accuracy and writes a model folder
// (with its value head) that loads as `--reward rm:DIR` or `--reward pref:DIR`.
using System.CommandLine;
using Rebel.Models;
using Rebel.Models.Pretrained;
using Rebel.Tensors;
using Rebel.Training;
using Rebel.Training.Data;
using Rebel.Training.Reporting;
using Spectre.Console;

namespace Rebel.Cli.Commands;

/// <summary>Builds the reward command.</summary>
internal static class RewardCommand
{
    private static readonly RewardModelOptions D = new();

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model folder to start from (a value head is added if it has none).", Required = true };
        var pairs = CommonFlags.Data(CommonFlags.PairsHelp, "--pairs");
        var output = CommonFlags.Out(Path.Combine("runs", "reward"), "Output folder (model/, metrics.jsonl, report.html).");
        var epochs = new Option<int?>("--epochs", "--num-train-epochs") { Description = $"Passes over the training pairs (default {D.Epochs})." };
        var lr = new Option<float?>("--lr", "--learning-rate") { Description = $"Peak learning rate, linear decay (default {D.LearningRate})." };
        var batch = new Option<int?>("--batch-size", "--per-device-train-batch-size") { Description = $"Pairs per step (default {D.BatchSize})." };
        var heldOut = new Option<double?>("--held-out") { Description = $"Fraction of pairs held out for pairwise accuracy (default {D.HeldOutFraction})." };
        var seed = new Option<ulong?>("--seed") { Description = $"Seed of the split, data order and head initialisation (default {D.Seed})." };
        var chat = ModelFolder.ChatTemplateOption();
        var lora = new LoraFlags();
        var config = CommonFlags.Config();
        var device = CommonFlags.Device();
        var cmd = new Command("reward", "Train a Bradley–Terry reward model on preference pairs. Writes model/ (use as rm:DIR or pref:DIR), metrics.jsonl and report.html to --out.")
        {
            model, pairs, output, epochs, lr, batch, heldOut, seed, chat, config, device,
        };
        foreach (var f in lora.All) cmd.Options.Add(f);
        cmd.SetGuardedAction(parse =>
        {
            CommonFlags.OpenDevice(parse, device);
            string dir = parse.GetValue(model)!;
            var folder = ModelFolder.Load(dir, lora.BaseInBf16(parse));
            var data = PreferenceDataset.Load(parse.GetValue(pairs)!, folder.Template(parse.GetValue(chat)));
            var options = D with
            {
                Epochs = parse.GetValue(epochs) ?? D.Epochs,
                LearningRate = parse.GetValue(lr) ?? D.LearningRate,
                BatchSize = parse.GetValue(batch) ?? D.BatchSize,
                HeldOutFraction = parse.GetValue(heldOut) ?? D.HeldOutFraction,
                Seed = parse.GetValue(seed) ?? D.Seed,
            };
            lora.Attach(parse, folder.Model, options.Seed);
            var head = HfModelLoader.LoadValueHead(dir, folder.Model.Config.HiddenSize);
            if (head is null)
            {
                head = new ValueHead(folder.Model.Config.HiddenSize);
                head.Initialize(new Rng(options.Seed));
            }
            head.ToDevice(CommonFlags.MoveToDevice(parse, device, folder.Model));
            return Run(folder, head, data, options, parse.GetValue(output)!);
        });
        return cmd;
    }

    private static int Run(ModelFolder folder, ValueHead head, IReadOnlyList<PreferencePair> data, RewardModelOptions options, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var metrics = MetricsLog.Create(Path.Combine(outDir, "metrics.jsonl"));
        Hyperparameters.Write(outDir, "reward", options);
        var trainer = new RewardModelTrainer(folder.Model, head, folder.Tokenizer, data, options);
        double accuracy = ProgressDisplay.Run(progress =>
        {
            progress.Phase("reward", trainer.StepsPerEpoch * options.Epochs);
            trainer.StepCompleted = s =>
            {
                var row = new Dictionary<string, double> { ["step"] = s.Step, ["epoch"] = s.Epoch, ["loss"] = s.Loss, ["accuracy"] = s.Accuracy, ["lr"] = s.LearningRate };
                if (s.HeldOutAccuracy is { } h) row["held_out_accuracy"] = h;
                metrics.Append(row);
                progress.Step(s.Step, $"loss {s.Loss:F4}" + (s.HeldOutAccuracy is { } a ? $" held-out accuracy {a:P1}" : ""));
            };
            return trainer.Train();
        });
        bool lora = folder.Model.Lora is not null;
        if (lora)
        {
            LoraFlags.SavePolicy(folder, outDir);
            folder.Model.MergeLora(); // model/ must be usable as rm:DIR on its own: the body with the adapter merged, plus the head
        }
        HfModelSaver.Save(folder.Model, Path.Combine(outDir, CommonFlags.ModelFolderName), valueHead: head, tokenizer: folder.Tokenizer);
        var rows = metrics.Rows;
        var summary = new List<(string, string)>
        {
            ("model", folder.Directory), ("pairs (train / held out)", $"{trainer.TrainCount} / {trainer.HeldOutCount}"), ("steps", $"{rows.Count}"),
            ("loss (first step)", $"{rows[0]["loss"]:F4}"), ("loss (last step)", $"{rows[^1]["loss"]:F4}"),
            ("held-out pairwise accuracy", double.IsNaN(accuracy) ? "n/a (nothing held out)" : $"{accuracy:P1}"),
        };
        HtmlReport.Write(Path.Combine(outDir, "report.html"), $"rebel reward: {Path.GetFileName(Path.GetFullPath(folder.Directory))}",
            summary, [.. rows.Select(r => (IReadOnlyDictionary<string, double>)new Dictionary<string, double>(r) { ["iteration"] = r["step"] })],
            ["loss", "accuracy", "held_out_accuracy", "lr"], []);
        var table = new Table().AddColumn("metric").AddColumn("value");
        foreach (var (name, value) in summary) table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Terminal.Out.Write(table);
        Terminal.Out.MarkupLine($"Wrote [green]{Markup.Escape(Path.GetFullPath(outDir))}[/] (model/ for rm:DIR or pref:DIR{(lora ? ", adapter/ (the LoRA adapter of the body, merged into model/)" : "")}, metrics.jsonl, report.html).");
        return 0;
    }
}
