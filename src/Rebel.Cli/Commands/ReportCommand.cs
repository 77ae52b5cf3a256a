// `rebel report RUN_DIR [RUN_DIR ...] --out FILE`: one report.html overlaying several runs (their metrics.jsonl and
// hyperparameters.json), e.g. two seeds, two learning rates or two algorithms on the same task.
using System.CommandLine;
using Rebel.Training.Reporting;

namespace Rebel.Cli.Commands;

/// <summary>Builds the report command.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("RUN_DIR") { Description = "Run folders (the --out of train, quickstart, dpo, image train, …): each needs metrics.jsonl; hyperparameters.json is shown when present.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "HTML file to write.", DefaultValueFactory = _ => "report.html" };
        var cmd = new Command("report", "Write one HTML report overlaying the given runs: every logged metric as a chart with a line per run (hover for values, " +
            "a smoothing slider) and the runs' hyperparameters side by side, differing rows marked.")
        {
            runs, output,
        };
        cmd.SetGuardedAction(parse =>
        {
            var folders = parse.GetValue(runs)!;
            // Legends name runs by folder name; where two share one (runs/a/rebel, runs/b/rebel), by the folder as typed.
            var names = folders.Select(f => Path.GetFileName(Path.GetFullPath(f).TrimEnd(Path.DirectorySeparatorChar))).ToList();
            var loaded = folders.Select((f, i) => (f, ReportRun.Load(f, names.Count(n => n == names[i]) > 1 ? f : names[i]))).ToList();
            string path = parse.GetValue(output)!;
            if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
            HtmlReport.Write(path, loaded);
            Console.Out.WriteLine($"Wrote {Path.GetFullPath(path)} ({loaded.Count} run{(loaded.Count == 1 ? "" : "s")}, {loaded.Sum(r => r.Item2.Rows.Count)} metric rows).");
            return 0;
        });
        return cmd;
    }
}
