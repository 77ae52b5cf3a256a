// Spectre.Console writers bound to the current Console.Out, so output follows Console.SetOut (tests, redirection).
using Spectre.Console;

namespace Rebel.Cli;

/// <summary>Human-readable output.</summary>
internal static class Terminal
{
    /// <summary>A console writing to the current <see cref="Console.Out"/> (plain text when redirected).</summary>
    public static IAnsiConsole Out => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Out),
        Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
        ColorSystem = Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
    });
}
