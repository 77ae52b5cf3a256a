// `rebel quickstart`: the built-in end-to-end run (tokenizer, supervised model, REBEL, held-out accuracy).
using System.CommandLine;
using Rebel.Training.Tasks;
using Spectre.Console;

namespace Rebel.Cli.Commands;

/// <summary>Builds the quickstart command.</summary>
internal static class QuickstartCommand
{
    public static Command Create()
    {
        var outOption = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => Path.Combine("runs", "quickstart") };
        var seedOption = new Option<ulong>("--seed") { Description = "Seed of the task, model and training.", DefaultValueFactory = _ => 1UL };
        var itersOption = new Option<int?>("--iterations") { Description = "REBEL iterations (default 100)." };
        var sftStepsOption = new Option<int?>("--sft-steps") { Description = "Most supervised steps before REBEL (default 2000; training stops earlier once validation accuracy reaches 35%)." };
        var cmd = new Command("quickstart", "Train a small GPT from scratch on arithmetic word problems, then improve it with REBEL; writes summary.json, report.html, metrics.jsonl and checkpoints.")
        {
            outOption, seedOption, itersOption, sftStepsOption,
        };
        cmd.SetGuardedAction(parse =>
        {
            var defaults = new QuickstartOptions();
            var options = defaults with
            {
                OutputDirectory = parse.GetValue(outOption)!,
                Seed = parse.GetValue(seedOption),
                Rebel = defaults.Rebel with { Iterations = parse.GetValue(itersOption) ?? defaults.Rebel.Iterations },
                Sft = defaults.Sft with { Steps = parse.GetValue(sftStepsOption) ?? defaults.Sft.Steps },
            };
            var summary = ProgressDisplay.Run(progress => Quickstart.Run(options, progress));
            var table = new Table().AddColumn("metric").AddColumn("value");
            table.AddRow("SFT held-out accuracy", $"{summary.SftAccuracy:P1}");
            table.AddRow("REBEL held-out accuracy", $"{summary.RebelAccuracy:P1}");
            table.AddRow("KL to reference", $"{summary.Kl:F3}");
            table.AddRow("seconds", $"{summary.Seconds:F0}");
            Terminal.Out.Write(table);
            Terminal.Out.MarkupLine($"Wrote [green]{Markup.Escape(Path.GetFullPath(options.OutputDirectory))}[/] (summary.json, report.html, metrics.jsonl, sft/, rebel/, checkpoint/).");
            return 0;
        });
        return cmd;
    }
}
