// `cmd:PROGRAM ARGS`: an external process that reads {"prompt":..,"completion":..} JSON lines on stdin and answers
// {"reward":..} per line, so rewards can be written in any language. One process lives for the whole run (RewardProcess).
using System.Text.Json.Nodes;

namespace Rebel.Training.Rewards;

/// <summary>Scores completions with an external program speaking JSON lines.</summary>
public sealed class CommandReward : IReward, IDisposable
{
    private readonly RewardProcess process;

    /// <summary>
    /// Runs <paramref name="commandLine"/> through /bin/sh (or cmd.exe on Windows) when first needed. Each answer must arrive within
    /// <paramref name="timeout"/> (default 10 minutes); the program must flush its output after every line.
    /// </summary>
    public CommandReward(string commandLine, TimeSpan? timeout = null) => process = new RewardProcess(commandLine, timeout);

    /// <inheritdoc />
    public string Name => $"cmd:{process.Command}";

    /// <inheritdoc />
    public float[] Score(IReadOnlyList<RewardQuery> queries)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var requests = queries.Select(q => new JsonObject { ["prompt"] = q.Prompt.Prompt, ["completion"] = q.Completion, ["fields"] = q.Prompt.Fields.DeepClone() }).ToList();
        return process.Score(requests, i => $"the prompt at {queries[i].Prompt.Source} (\"{RewardProcess.Shorten(queries[i].Prompt.Prompt)}\")");
    }

    /// <summary>Ends a wait for the program's answer with OperationCanceledException (Ctrl-C); see <see cref="RewardProcess.Interrupt"/>.</summary>
    public void Interrupt() => process.Interrupt();

    /// <summary>Closes the program's stdin and waits briefly for it to exit.</summary>
    public void Dispose() => process.Dispose();
}
