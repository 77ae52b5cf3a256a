// `cmd:PROGRAM ARGS`: an external process that reads {"prompt":..,"completion":..} JSON lines on stdin and answers
// {"reward":..} per line, so rewards can be written in any language. One process lives for the whole run.
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rebel.Training.Rewards;

/// <summary>Scores completions with an external program speaking JSON lines.</summary>
public sealed class CommandReward : IReward, IDisposable
{
    private readonly string command;
    private readonly TimeSpan timeout;
    private Process? process;

    /// <summary>
    /// Runs <paramref name="commandLine"/> through /bin/sh (or cmd.exe on Windows) when first needed. Each answer must arrive within
    /// <paramref name="timeout"/> (default 10 minutes); the program must flush its output after every line.
    /// </summary>
    public CommandReward(string commandLine, TimeSpan? timeout = null)
    {
        if (string.IsNullOrWhiteSpace(commandLine)) throw new ArgumentException("cmd: reward needs a program, e.g. cmd:python3 score.py");
        command = commandLine;
        this.timeout = timeout ?? TimeSpan.FromMinutes(10);
    }

    /// <inheritdoc />
    public string Name => $"cmd:{command}";

    /// <inheritdoc />
    public float[] Score(IReadOnlyList<RewardQuery> queries)
    {
        var p = EnsureStarted();
        var scores = new float[queries.Count];
        // Write all lines first from another task so a program that answers only after reading everything cannot deadlock us.
        var writer = Task.Run(() =>
        {
            foreach (var q in queries)
            {
                var line = new JsonObject { ["prompt"] = q.Prompt.Prompt, ["completion"] = q.Completion, ["fields"] = q.Prompt.Fields.DeepClone() };
                p.StandardInput.WriteLine(line.ToJsonString());
            }
            p.StandardInput.Flush();
        });
        for (int i = 0; i < queries.Count; i++)
        {
            string? line;
            try
            {
                line = p.StandardOutput.ReadLineAsync().WaitAsync(timeout).GetAwaiter().GetResult();
            }
            catch (TimeoutException)
            {
                Dispose();
                throw new TimeoutException($"Reward program '{command}' gave no answer within {timeout.TotalSeconds:F0} s for the prompt at {queries[i].Prompt.Source} (\"{Shorten(queries[i].Prompt.Prompt)}\"). It must print one line per input line and flush.");
            }
            if (line is null)
            {
                string err = ReadError(p);
                throw new InvalidOperationException($"Reward program '{command}' exited (code {ExitCode(p)}) before answering for the prompt at {queries[i].Prompt.Source} (\"{Shorten(queries[i].Prompt.Prompt)}\").{err}");
            }
            scores[i] = ParseReward(line, queries[i]);
        }
        writer.Wait();
        return scores;
    }

    private float ParseReward(string line, RewardQuery q)
    {
        try
        {
            if (JsonNode.Parse(line) is JsonObject o && o["reward"] is JsonValue v && v.TryGetValue<double>(out var r) && double.IsFinite(r)) return (float)r;
        }
        catch (JsonException)
        {
        }
        throw new InvalidDataException($"Reward program '{command}' answered '{Shorten(line)}' for the prompt at {q.Prompt.Source} (\"{Shorten(q.Prompt.Prompt)}\"); expected a line {{\"reward\": <finite number>}}.");
    }

    private Process EnsureStarted()
    {
        if (process is { HasExited: false }) return process;
        if (process is not null)
            throw new InvalidOperationException($"Reward program '{command}' has exited (code {process.ExitCode}).{ReadError(process)}");
        bool windows = OperatingSystem.IsWindows();
        var info = new ProcessStartInfo(windows ? "cmd.exe" : "/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(windows ? "/c" : "-c");
        info.ArgumentList.Add(command);
        process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start reward program '{command}'.");
        process.StandardInput.AutoFlush = false;
        return process;
    }

    private static int ExitCode(Process p)
    {
        p.WaitForExit(2000);
        return p.HasExited ? p.ExitCode : -1;
    }

    private static string ReadError(Process p)
    {
        try
        {
            p.WaitForExit(2000);
            var err = p.StandardError.ReadToEnd().Trim();
            return err.Length == 0 ? "" : $" Its stderr: {Shorten(err, 400)}";
        }
        catch (InvalidOperationException)
        {
            return "";
        }
    }

    private static string Shorten(string s, int max = 80) => s.Length <= max ? s : s[..max] + "…";

    /// <summary>Closes the program's stdin and waits briefly for it to exit.</summary>
    public void Dispose()
    {
        if (process is null) return;
        try
        {
            if (!process.HasExited)
            {
                process.StandardInput.Close();
                if (!process.WaitForExit(2000)) process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
        process.Dispose();
        process = null;
    }
}
