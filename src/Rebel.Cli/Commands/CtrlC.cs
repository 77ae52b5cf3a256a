// Ctrl-C in the commands that score with a reward: cancels a token the work checks between steps and ends a cmd: reward program's
// pending answer at once (RewardSpec.Interrupt), so the command can stop cleanly (train: checkpoint) even while a program computes.
using Rebel.Training.Rewards;

namespace Rebel.Cli.Commands;

/// <summary>Turns Ctrl-C into a cancelled <see cref="Token"/> and an interrupted reward wait while in scope.</summary>
internal sealed class CtrlC : IDisposable
{
    private readonly CancellationTokenSource cancel = new();
    private readonly ConsoleCancelEventHandler handler;

    /// <summary>Handles Ctrl-C until disposed; the process is not ended by it.</summary>
    public CtrlC(RewardSpec spec)
    {
        handler = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
            spec.Interrupt(); // a reward program computing an answer must not delay the interrupt
        };
        Console.CancelKeyPress += handler;
    }

    /// <summary>Cancelled on Ctrl-C.</summary>
    public CancellationToken Token => cancel.Token;

    /// <summary>Restores the default Ctrl-C behaviour.</summary>
    public void Dispose()
    {
        Console.CancelKeyPress -= handler;
        cancel.Dispose();
    }
}
