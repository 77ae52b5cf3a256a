// The command tree, the --config expansion and the one error handler every command runs under.
using System.CommandLine;

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
            Commands.SampleCommand.Create(),
            Commands.EvalCommand.Create(),
            Commands.ScoreCommand.Create(),
            Commands.TokenizeCommand.Create(),
            Commands.TemplateCommand.Create(),
            Commands.BenchCommand.Create(),
        };
        root.Options.Add(new Option<bool>(VerboseFlag) { Description = "Show stack traces of errors.", Recursive = true });
        string[] expanded;
        try
        {
            expanded = ConfigFile.Expand(root, args);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return Fail(e, args.Contains(VerboseFlag));
        }
        return root.Parse(expanded).Invoke();
    }

    private const string VerboseFlag = "--verbose";

    /// <summary>
    /// Runs a command's body: any exception becomes a one-line red "error: …" on stderr and exit code 1 (with --verbose, the stack trace too).
    /// </summary>
    internal static void SetGuardedAction(this Command command, Func<ParseResult, int> body) =>
        command.SetAction(parse =>
        {
            try
            {
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
        Console.Error.WriteLine(Console.IsErrorRedirected ? $"error: {message}" : $"\e[31merror: {message}\e[0m");
        if (verbose) Console.Error.WriteLine(e.ToString());
        return 1;
    }
}
