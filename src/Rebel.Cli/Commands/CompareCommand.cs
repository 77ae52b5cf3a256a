// `rebel compare`: REBEL and the baselines side by side on a built-in task with the same budget of reward queries; and the hidden
// `compare-run` subcommand that runs one (algorithm, seed) in a child process of this same executable.
using System.CommandLine;
using Rebel.Cli.Compare;
using Rebel.Training.Compare;
using Rebel.Training.Rewards;
using Rebel.Training.Tasks;
using Spectre.Console;

namespace Rebel.Cli.Commands;

/// <summary>Builds the compare and compare-run commands.</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var d = new CompareOptions();
        var task = new Option<string>("--task") { Description = "Built-in task: arithmetic or rlhf.", DefaultValueFactory = _ => d.Task }.AcceptOnlyFromAmong(BuiltInTasks.Names);
        var algos = new Option<string>("--algos") { Description = $"Comma-separated algorithms among {string.Join(",", CompareOptions.AllAlgorithms)}.", DefaultValueFactory = _ => string.Join(",", d.Algorithms) };
        var seeds = new Option<int>("--seeds") { Description = "Seeds 1..N; each builds one starting point shared by every algorithm.", DefaultValueFactory = _ => d.Seeds };
        var output = new Option<string>("--out", "--output-dir") { Description = "Output folder; finished runs in it are kept and skipped (resume).", DefaultValueFactory = _ => d.OutputDirectory };
        var iterations = new Option<int?>("--iterations") { Description = $"Iterations of every algorithm (default {d.Budget.Iterations})." };
        var prompts = new Option<int?>("--prompts-per-iteration") { Description = $"Prompts per iteration (default {d.Budget.PromptsPerIteration})." };
        var completions = new Option<int?>("--completions-per-prompt", "--num-generations") { Description = "Completions per prompt for every algorithm but REBEL (default 8)." };
        var rebelCompletions = new Option<int?>("--rebel-completions") { Description = $"REBEL's completions per prompt: the same reward queries per iteration go to proportionally more prompts, regressed on all pairs (default {d.RebelCompletionsPerPrompt}; 0: the others' allocation, best-vs-worst)." };
        var sftSteps = new Option<int?>("--sft-steps") { Description = "Most supervised steps of each seed's starting point (default: the task's)." };
        var heldOut = new Option<int?>("--held-out") { Description = "Held-out prompts (default: arithmetic 500, rlhf 6 of 30 prompts)." };
        var pairs = new Option<int?>("--pairs") { Description = "rlhf: gold-labelled pairs for the reward model (default 3000)." };
        var tune = new Option<bool>("--tune") { Description = $"Choose each algorithm's learning rate (task's × {string.Join(", ", d.LearningRateFactors.Select(f => f.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)))}) and REBEL's completions per prompt ({string.Join(" or ", d.TuneRebelCompletions)}) by held-out score on a tuning seed that is not reported, before the reported seeds run." };
        var tuneFactors = new Option<string?>("--tune-lr-factors") { Description = "The --tune sweep's learning rates as comma-separated multiples of the task's (default 0.333,1,3)." };
        var tuneRebel = new Option<string?>("--tune-rebel-completions") { Description = $"The --tune sweep's REBEL completions per prompt, comma-separated (default {string.Join(",", d.TuneRebelCompletions)})." };
        var tuningSeed = new Option<ulong>("--tuning-seed") { Description = "Seed of the --tune sweep; must not be one of 1..--seeds.", DefaultValueFactory = _ => d.TuningSeed };
        var userModel = new Option<string?>("--model") { Description = "Compare on your own task instead of a built-in one: a Hugging Face model folder every seed starts from as it is (with --prompts and --reward)." };
        var userPrompts = new Option<string?>("--prompts", "--data") { Description = "With --model: the prompt file RL draws from (as rebel train reads it); its last tenth is held out unless --eval-prompts is given." };
        var userReward = new Option<string?>("--reward") { Description = $"With --model: the reward every algorithm optimises and the held-out figure is measured by: {RewardSpec.Forms} (not pref:)." };
        var userEval = new Option<string?>("--eval-prompts", "--eval-data") { Description = "With --model: held-out prompts, decoded greedily and scored by --reward before and after." };
        var device = CommonFlags.Device();
        var cmd = new Command("compare", "Run REBEL and baselines with the same budget of reward queries on a built-in task over several seeds; writes summary.json, report.html and runs/ALGO/seedN/.")
        {
            task, algos, seeds, output, iterations, prompts, completions, rebelCompletions, sftSteps, heldOut, pairs, tune, tuneFactors, tuneRebel, tuningSeed, userModel, userPrompts, userReward, userEval, CommonFlags.Config(), device,
        };
        cmd.SetGuardedAction(parse =>
        {
            CommonFlags.OpenDevice(parse, device); // a missing GPU fails here, before any child starts
            UserTaskFiles? user = null;
            if (parse.GetValue(userModel) is { } modelDir)
            {
                if (parse.GetResult(task) is { Implicit: false }) throw new ArgumentException("compare: --task and --model are two kinds of task; give one.");
                user = new UserTaskFiles(modelDir, parse.GetValue(userPrompts) ?? throw new ArgumentException("compare --model needs --prompts FILE."),
                    parse.GetValue(userReward) ?? throw new ArgumentException("compare --model needs --reward SPEC."), parse.GetValue(userEval));
            }
            else if (parse.GetResult(userPrompts) is not null || parse.GetResult(userReward) is not null || parse.GetResult(userEval) is not null)
                throw new ArgumentException("compare: --prompts, --reward and --eval-prompts describe a user task and need --model DIR.");
            var options = d with
            {
                User = user,
                Device = parse.GetValue(device)!,
                Task = user is null ? parse.GetValue(task)! : UserTask.TaskName,
                Algorithms = [.. parse.GetValue(algos)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                Seeds = parse.GetValue(seeds),
                Tune = parse.GetValue(tune),
                TuningSeed = parse.GetValue(tuningSeed),
                LearningRateFactors = parse.GetValue(tuneFactors) is { } factorList ? List(factorList, "--tune-lr-factors", double.Parse) : d.LearningRateFactors,
                TuneRebelCompletions = parse.GetValue(tuneRebel) is { } rebelList ? List(rebelList, "--tune-rebel-completions", int.Parse) : d.TuneRebelCompletions,
                OutputDirectory = parse.GetValue(output)!,
                RebelCompletionsPerPrompt = parse.GetValue(rebelCompletions) switch { null => d.RebelCompletionsPerPrompt, 0 => null, var k => k },
                Budget = d.Budget with
                {
                    Iterations = parse.GetValue(iterations) ?? d.Budget.Iterations, PromptsPerIteration = parse.GetValue(prompts) ?? d.Budget.PromptsPerIteration,
                    CompletionsPerPrompt = parse.GetValue(completions), SftSteps = parse.GetValue(sftSteps), HeldOut = parse.GetValue(heldOut), Pairs = parse.GetValue(pairs),
                },
            };
            var summary = ProgressDisplay.Run(progress => CompareRunner.Run(options, Self(), progress));
            var (header, rows) = summary.Table();
            var table = new Table();
            foreach (var h in header) table.AddColumn(Markup.Escape(h));
            foreach (var row in rows) table.AddRow([.. row.Select(Markup.Escape)]);
            var console = Terminal.Out;
            if (Console.IsOutputRedirected) console.Profile.Width = 200; // logs: one line per algorithm
            console.Write(table);
            console.MarkupLine(Markup.Escape($"{summary.SpreadText}; every run made {summary.Budget.Iterations} × {summary.Budget.PromptsPerIteration} × {summary.Budget.CompletionsPerPrompt} reward queries (REBEL: {summary.RebelAllocationText}; A*-PO: one completion per prompt, plus its stage-1 samples of π_ref)."));
            console.MarkupLine(Markup.Escape($"Tuning: {summary.TuningText}."));
            console.MarkupLine($"Wrote [green]{Markup.Escape(Path.GetFullPath(options.OutputDirectory))}[/] (summary.json, report.html, setup/, runs/).");
            return 0;
        });
        return cmd;
    }

    // A comma-separated list of numbers; a bad entry names the flag.
    private static List<T> List<T>(string text, string flag, Func<string, System.Globalization.CultureInfo, T> parse) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x =>
        {
            try { return parse(x, System.Globalization.CultureInfo.InvariantCulture); }
            catch (FormatException) { throw new ArgumentException($"{flag}: '{x}' is not a number."); }
        })];

    public static Command CreateChild()
    {
        var plan = new Option<string>("--plan") { Description = "compare.json of the comparison.", Required = true };
        var algo = new Option<string>("--algo") { Description = "Algorithm.", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Seed.", Required = true };
        var cmd = new Command(CompareRunner.ChildVerb, "One run of rebel compare (started by it in a child process).") { plan, algo, seed };
        cmd.Hidden = true;
        cmd.SetGuardedAction(parse =>
        {
            var options = CompareRunner.ReadPlan(parse.GetValue(plan)!);
            CompareChild.Execute(options, parse.GetValue(algo)!, parse.GetValue(seed), r =>
            {
                Console.Out.WriteLine($"iteration {r.Iteration} score {r.Metrics["objective/scores"]:F3} kl {r.Metrics["objective/kl"]:F2}");
                Console.Out.Flush();
            });
            return 0;
        });
        return cmd;
    }

    /// <summary>This executable: its apphost when one sits beside the entry assembly, else the dotnet host with the assembly.</summary>
    private static ChildCommand Self()
    {
        string dll = typeof(RebelApp).Assembly.Location;
        string apphost = Path.Combine(Path.GetDirectoryName(dll)!, Path.GetFileNameWithoutExtension(dll) + (OperatingSystem.IsWindows() ? ".exe" : ""));
        if (File.Exists(apphost)) return new ChildCommand(apphost, []);
        string host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        return new ChildCommand(host, [dll]);
    }
}
