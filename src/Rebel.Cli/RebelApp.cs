// The command tree, the --config expansion and the one error handler every command runs under (which, in a job started by
// mpirun, names the failing rank and ends the whole job).
using System.CommandLine;
using Rebel.Tensors.Distributed;

namespace Rebel.Cli;

/// <summary>Builds the command tree and runs it.</summary>
public static class RebelApp
{
    /// <summary>Parses <paramref name="args"/> and runs the chosen command; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        var root = new RootCommand("rebel: fine-tune generative models with reinforcement learning (REBEL and baselines).")
        {
            Commands.QuickstartCommand.Create(),
            Commands.ImageCommand.Create(HelpAlgorithm(args, "image", "train")),
            Commands.TrainCommand.Create(HelpAlgorithm(args, "train")),
            Commands.SftCommand.Create(),
            Commands.RewardCommand.Create(),
            Commands.DpoCommand.Create(),
            Commands.CompareCommand.Create(),
            Commands.CompareCommand.CreateChild(),
            Commands.ReportCommand.Create(),
            Commands.SampleCommand.Create(),
            Commands.EvalCommand.Create(),
            Commands.ScoreCommand.Create(),
            Commands.MergeCommand.Create(),
            Commands.TokenizeCommand.Create(),
            Commands.TemplateCommand.Create(),
            Commands.BenchCommand.Create(),
            Commands.InitCommand.Create(),
        };
        root.Options.Add(new Option<bool>(VerboseFlag) { Description = "Show stack traces of errors.", Recursive = true });
        root.Options.Add(CheckReplicasOption);
        string[] expanded;
        try
        {
            if (InJob && Collectives.World.Rank != 0) Console.SetOut(TextWriter.Null);
            expanded = ConfigFile.Expand(root, Kebab(root, args));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
        {
            return Fail(e, args.Contains(VerboseFlag));
        }
        return root.Parse(expanded).Invoke();
    }

    private const string VerboseFlag = "--verbose";

    /// <summary>
    /// <paramref name="args"/> with every flag typed in snake_case (TRL's spelling, e.g. --learning_rate=1e-6) written in kebab-case when
    /// a command knows it under that name; values and unknown flags are left as typed.
    /// </summary>
    internal static string[] Kebab(Command root, string[] args)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        var commands = new Stack<Command>([root]);
        while (commands.TryPop(out var c))
        {
            foreach (var o in c.Options) known.UnionWith(o.Aliases.Append(o.Name));
            foreach (var sub in c.Subcommands) commands.Push(sub);
        }
        return [.. args.Select(a =>
        {
            if (!a.StartsWith("--", StringComparison.Ordinal) || !a.Contains('_', StringComparison.Ordinal)) return a;
            int end = a.IndexOfAny(['=', ':']);
            string name = (end < 0 ? a : a[..end]).Replace('_', '-');
            return known.Contains(name) ? name + (end < 0 ? "" : a[end..]) : a;
        })];
    }

    // NAME of `rebel COMMAND --algo NAME --help` (COMMAND: <paramref name="command"/>, e.g. train or image train), whose help then shows
    // that algorithm's flags alone; null otherwise (the command checks the name).
    private static string? HelpAlgorithm(string[] args, params string[] command)
    {
        if (!args.AsSpan().StartsWith(command) || !args.Any(a => a is "--help" or "-h" or "-?" or "/?" or "/h")) return null;
        int at = Array.FindIndex(args, a => a == "--algo" || a.StartsWith("--algo=", StringComparison.Ordinal));
        return at < 0 ? null : args[at] == "--algo" ? (at + 1 < args.Length ? args[at + 1] : null) : args[at]["--algo=".Length..];
    }

    private static readonly Option<int> CheckReplicasOption = new("--check-replicas")
    {
        Description = "Under mpirun: every K optimizer steps, check that all processes hold bit-identical parameters (0: never; a debugging aid).",
        Recursive = true,
    };

    // Started by mpirun (the job itself is created, and MPI initialised, on first use).
    private static bool InJob => Environment.GetEnvironmentVariable(Collectives.LauncherVariable) is { Length: > 0 };

    /// <summary>
    /// Runs a command's body: any exception becomes a one-line red "error: …" on stderr and exit code 1 (with --verbose, the stack trace too).
    /// </summary>
    internal static void SetGuardedAction(this Command command, Func<ParseResult, int> body) =>
        command.SetAction(parse =>
        {
            try
            {
                Collectives.ReplicaCheckEvery = Math.Max(0, parse.GetValue(CheckReplicasOption));
                return body(parse);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return Fail(e, parse.Tokens.Any(t => t.Value == VerboseFlag));
            }
        });

    private static int Fail(Exception e, bool verbose)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } or System.Reflection.TargetInvocationException && e.InnerException is not null)
            e = e.InnerException!;
        string message = e is OperationCanceledException ? "interrupted." : string.Join(' ', e.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        ICollectives? job = InJob && e is not (DllNotFoundException or EntryPointNotFoundException) ? Collectives.World : null;
        if (job is { Size: > 1 }) message = $"rank {job.Rank} of {job.Size}: {message}";
        Console.Error.WriteLine(Console.IsErrorRedirected ? $"error: {message}" : $"\e[31merror: {message}\e[0m");
        if (verbose) Console.Error.WriteLine(e.ToString());
        if (job is { Size: > 1 })
        {
            Console.Error.Flush();
            job.Abort(1);
        }
        return 1;
    }
}
