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
        };
        return root.Parse(args).Invoke();
    }
}
