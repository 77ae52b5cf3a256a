// A long-lived child process that answers one {"reward": x} JSON line per request line: the transport behind every cmd: reward
// (text and images), with its timeout, crash and malformed-answer handling in one place. On Linux the program runs in a session
// (and process group) of its own, so a terminal's Ctrl-C reaches only Rebel, which interrupts the wait (Interrupt), checkpoints
// and stops the program itself; every live program is killed when Rebel exits, and one whose Rebel was killed outright sees its
// stdin close (programs must exit on end of input).
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rebel.Training.Rewards;

/// <summary>Runs a reward program through the shell and exchanges JSON lines with it. One process lives until disposed.</summary>
public sealed class RewardProcess : IDisposable
{
    private readonly TimeSpan timeout;
    private readonly Queue<string> errorTail = new();
    private int errorTailChars;
    private Process? process;

    // Programs still running, killed (with their children) when this process exits.
    private static readonly HashSet<Process> Live = [];

    // Cancelled by Interrupt (Ctrl-C): the wait for an answer ends with OperationCanceledException.
    private CancellationTokenSource waits = new();

    static RewardProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        lock (Live)
        {
            foreach (var p in Live) Kill(p);
        }
    };

    /// <summary>The answer timeout when none is given: 600 s.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(600);

    /// <summary>
    /// Ends the current wait for an answer (if any) with OperationCanceledException and stops the program; a later
    /// <see cref="Score"/> starts it again. The CLI calls it on Ctrl-C, so an interrupt works while a program is computing.
    /// </summary>
    public void Interrupt()
    {
        var previous = Interlocked.Exchange(ref waits, new CancellationTokenSource());
        previous.Cancel();
    }

    // The most stderr characters kept for error messages; the rest is read and dropped, so a chatty program never blocks on a full pipe.
    private const int ErrorTailLimit = 4000;

    /// <summary>
    /// Runs <paramref name="commandLine"/> through /bin/sh (or cmd.exe on Windows) when first needed. Each answer must arrive within
    /// <paramref name="timeout"/> (default <see cref="DefaultTimeout"/>); the program must flush its output after every line and
    /// exit at the end of its input.
    /// </summary>
    public RewardProcess(string commandLine, TimeSpan? timeout = null)
    {
        if (string.IsNullOrWhiteSpace(commandLine)) throw new ArgumentException("cmd: reward needs a program, e.g. cmd:python3 score.py");
        Command = commandLine;
        this.timeout = timeout ?? DefaultTimeout;
    }

    /// <summary>The command line as given.</summary>
    public string Command { get; }

    /// <summary>
    /// Sends <paramref name="requests"/> (one JSON object per line) and reads one finite reward per request, in order. Errors name the
    /// item through <paramref name="describe"/> (e.g. "the prompt at data.jsonl:3 (…)"): TimeoutException when an answer is late,
    /// InvalidOperationException when the program exited, InvalidDataException for an answer that is not {"reward": number}.
    /// </summary>
    public float[] Score(IReadOnlyList<JsonObject> requests, Func<int, string> describe)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(describe);
        var p = EnsureStarted();
        var cancel = waits.Token;
        var scores = new float[requests.Count];
        // Write all lines first from another task so a program that answers only after reading everything cannot deadlock us.
        var writer = Task.Run(() =>
        {
            foreach (var request in requests) p.StandardInput.WriteLine(request.ToJsonString());
            p.StandardInput.Flush();
        });
        for (int i = 0; i < requests.Count; i++)
        {
            string? line;
            try
            {
                line = p.StandardOutput.ReadLineAsync().WaitAsync(timeout, cancel).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                Dispose(); // an answer may still be in the pipe; the program is stopped and restarted when next needed
                throw;
            }
            catch (TimeoutException)
            {
                Dispose();
                throw new TimeoutException($"Reward program '{Command}' gave no answer within {timeout.TotalSeconds:F0} s for {describe(i)}. It must print one line per input line and flush.");
            }
            if (line is null)
            {
                string err = ReadError(p);
                throw new InvalidOperationException($"Reward program '{Command}' exited (code {ExitCode(p)}) before answering for {describe(i)}.{err}");
            }
            try
            {
                scores[i] = ParseReward(line, describe(i));
            }
            catch (InvalidDataException)
            {
                Dispose(); // the answers still in the pipe belong to this batch: a later batch must not read them
                throw;
            }
        }
        writer.Wait();
        return scores;
    }

    /// <summary>Cuts <paramref name="s"/> to <paramref name="max"/> characters with an ellipsis, for error messages.</summary>
    public static string Shorten(string s, int max = 80)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.Length <= max ? s : s[..max] + "…";
    }

    private float ParseReward(string line, string what)
    {
        try
        {
            if (JsonNode.Parse(line) is JsonObject o && o["reward"] is JsonValue v && v.TryGetValue<double>(out var r) && double.IsFinite(r)) return (float)r;
        }
        catch (JsonException)
        {
        }
        throw new InvalidDataException($"Reward program '{Command}' answered '{Shorten(line)}' for {what}; expected a line {{\"reward\": <finite number>}}.");
    }

    private Process EnsureStarted()
    {
        if (process is { HasExited: false }) return process;
        if (process is not null)
            throw new InvalidOperationException($"Reward program '{Command}' has exited (code {process.ExitCode}).{ReadError(process)}");
        bool windows = OperatingSystem.IsWindows();
        string? setsid = OperatingSystem.IsLinux() ? new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists) : null;
        var info = new ProcessStartInfo(windows ? "cmd.exe" : setsid ?? "/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (setsid is not null) info.ArgumentList.Add("/bin/sh");
        info.ArgumentList.Add(windows ? "/c" : "-c");
        info.ArgumentList.Add(Command);
        lock (errorTail) { errorTail.Clear(); errorTailChars = 0; }
        process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start reward program '{Command}'.");
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) KeepError(line); };
        process.BeginErrorReadLine();
        lock (Live) Live.Add(process);
        process.StandardInput.AutoFlush = false;
        return process;
    }

    private static int ExitCode(Process p)
    {
        p.WaitForExit(2000);
        return p.HasExited ? p.ExitCode : -1;
    }

    private void KeepError(string line)
    {
        lock (errorTail)
        {
            errorTail.Enqueue(line);
            errorTailChars += line.Length + 1;
            while (errorTailChars > ErrorTailLimit && errorTail.Count > 1) errorTailChars -= errorTail.Dequeue().Length + 1;
        }
    }

    // The end of what the program wrote to stderr (read all along in the background), once it has exited or after 2 s.
    private string ReadError(Process p)
    {
        try
        {
            if (p.WaitForExit(2000)) p.WaitForExit(); // the parameterless wait also waits for the stderr reader to finish
        }
        catch (InvalidOperationException)
        {
        }
        string err;
        lock (errorTail) err = string.Join("\n", errorTail).Trim();
        return err.Length == 0 ? "" : $" Its stderr{(err.Length > 400 ? " ends" : "")}: {(err.Length > 400 ? "…" + err[^400..] : err)}";
    }

    /// <summary>Closes the program's stdin and waits briefly for it to exit, then kills it and its children.</summary>
    public void Dispose()
    {
        if (process is null) return;
        try
        {
            if (!process.HasExited)
            {
                process.StandardInput.Close();
                if (!process.WaitForExit(2000)) Kill(process);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            Kill(process);
        }
        lock (Live) Live.Remove(process);
        process.Dispose();
        process = null;
    }

    private static void Kill(Process p)
    {
        try
        {
            if (p.HasExited) return;
            p.Kill(entireProcessTree: true);
            p.WaitForExit(5000); // SIGKILL is delivered asynchronously: return once the program is gone (a loaded machine may take a moment)
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }
}
