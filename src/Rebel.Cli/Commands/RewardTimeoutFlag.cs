// `--reward-timeout SECONDS`: how long a cmd: reward program may take to answer one line (default 600 s, RewardProcess.DefaultTimeout).
using System.CommandLine;
using Rebel.Training.Rewards;

namespace Rebel.Cli.Commands;

/// <summary>The --reward-timeout flag of the commands that score with a reward.</summary>
internal static class RewardTimeoutFlag
{
    /// <summary>The option, in seconds, defaulting to <see cref="RewardProcess.DefaultTimeout"/>.</summary>
    public static Option<double> Create() => new("--reward-timeout")
    {
        Description = "Seconds a cmd: reward program may take to answer one line before the run stops with an error.",
        DefaultValueFactory = _ => RewardProcess.DefaultTimeout.TotalSeconds,
    };

    /// <summary>The parsed timeout; ArgumentException for a value that is not a positive number of seconds (up to int.MaxValue ms).</summary>
    public static TimeSpan Read(ParseResult parse, Option<double> option)
    {
        double seconds = parse.GetValue(option);
        return seconds > 0 && seconds <= int.MaxValue / 1000
            ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"--reward-timeout {seconds} must be a positive number of seconds.");
    }
}
