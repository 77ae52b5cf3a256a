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
            Commands.ImageCommand.Create(),
            Commands.TrainCommand.Create(),
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
            expanded = ConfigFile.Expand(root, args);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
        {
            return Fail(e, args.Contains(VerboseFlag));
        }
        return root.Parse(expanded).Invoke();
    }

    private const string VerboseFlag = "--verbose";

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
