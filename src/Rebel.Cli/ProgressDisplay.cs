// Live progress for long runs: a Spectre.Console progress bar per phase on a terminal, plain lines otherwise.
using Rebel.Training.Tasks;
using Spectre.Console;

namespace Rebel.Cli;

/// <summary>Shows pipeline progress.</summary>
internal static class ProgressDisplay
{
    /// <summary>Runs <paramref name="work"/> with a progress reporter.</summary>
    public static T Run<T>(Func<IQuickstartProgress, T> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
            return work(new PlainProgress());
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx => result = work(new LiveProgress(ctx)));
        return result;
    }

    private sealed class LiveProgress(ProgressContext ctx) : IQuickstartProgress
    {
        private ProgressTask? task;
        private string phase = "";

        public void Phase(string name, int steps)
        {
            task?.StopTask();
            phase = name;
            task = ctx.AddTask(Markup.Escape(name), maxValue: Math.Max(steps, 1));
        }

        public void Step(int step, string status)
        {
            if (task is null) return;
            task.Value = step;
            task.Description = Markup.Escape($"{phase} {step}/{task.MaxValue:F0} {status}");
        }

        public void Message(string text) => AnsiConsole.MarkupLine(Markup.Escape(text));
    }

    private sealed class PlainProgress : IQuickstartProgress
    {
        private string phase = "";
        private int steps;
        private DateTime last = DateTime.MinValue;

        public void Phase(string name, int count)
        {
            phase = name;
            steps = count;
            Console.WriteLine($"[{name}] {count} step(s)");
        }

        public void Step(int step, string status)
        {
            if (step != steps && DateTime.UtcNow - last < TimeSpan.FromSeconds(5)) return;
            last = DateTime.UtcNow;
            Console.WriteLine($"[{phase}] {step}/{steps} {status}");
        }

        public void Message(string text) => Console.WriteLine(text);
    }
}
