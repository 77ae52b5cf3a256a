// `rebel quickstart`: the built-in end-to-end run (tokenizer, supervised model, for rlhf a learned reward model, REBEL, held-out evaluation).
using System.CommandLine;
using Rebel.Training.Tasks;
using Spectre.Console;

namespace Rebel.Cli.Commands;

/// <summary>Builds the quickstart command.</summary>
internal static class QuickstartCommand
{
    public static Command Create()
    {
        var taskOption = new Option<string>("--task")
        {
            Description = "arithmetic: exact-answer word problems; rlhf: reviews, a reward model learned from a hidden gold scorer's labels, REBEL against it.",
            DefaultValueFactory = _ => "arithmetic",
        }.AcceptOnlyFromAmong(BuiltInTasks.Names);
        var outOption = new Option<string?>("--out") { Description = "Output folder (default runs/quickstart, or runs/quickstart-rlhf for --task rlhf)." };
        var seedOption = new Option<ulong>("--seed") { Description = "Seed of the task, model and training.", DefaultValueFactory = _ => 1UL };
        var itersOption = new Option<int?>("--iterations") { Description = "REBEL iterations (default 100; rlhf 60)." };
        var sftStepsOption = new Option<int?>("--sft-steps") { Description = "Most supervised steps before REBEL (arithmetic: default 2000, stopping earlier once validation accuracy reaches 35%; rlhf: 300)." };
        var device = CommonFlags.Device();
        var cmd = new Command("quickstart", "Train a small GPT from scratch on a built-in task, then improve it with REBEL; writes summary.json, report.html, metrics.jsonl and the models.")
        {
            taskOption, outOption, seedOption, itersOption, sftStepsOption, device,
        };
        cmd.SetGuardedAction(parse =>
        {
            string name = parse.GetValue(taskOption)!;
            var task = BuiltInTasks.Create(name, parse.GetValue(seedOption), new TaskOverrides { Iterations = parse.GetValue(itersOption), SftSteps = parse.GetValue(sftStepsOption), Device = CommonFlags.OpenDevice(parse, device) });
            string outDir = parse.GetValue(outOption) ?? Path.Combine("runs", name == "arithmetic" ? "quickstart" : $"quickstart-{name}");
            var summary = ProgressDisplay.Run(progress => Quickstart.Run(task, outDir, progress));
            var table = new Table().AddColumn("metric").AddColumn("value");
            foreach (var (metric, value) in Quickstart.SummaryRows(summary)) table.AddRow(Markup.Escape(metric), Markup.Escape(value));
            Terminal.Out.Write(table);
            Terminal.Out.MarkupLine($"Wrote [green]{Markup.Escape(Path.GetFullPath(outDir))}[/] (summary.json, report.html, metrics.jsonl, sft/, {(name == "rlhf" ? "reward/, pairs.jsonl, " : "")}rebel/, checkpoint/).");
            return 0;
        });
        return cmd;
    }
}
