// Reward programs and interrupts: the program runs in its own session (a terminal's Ctrl-C reaches only Rebel), and an interrupt
// ends a wait for an answer at once and stops the program.
using System.Text.Json.Nodes;
using Rebel.Training.Rewards;

namespace Rebel.Training.Tests;

public sealed class RewardProcessSignalTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("rebel-reward-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void The_program_runs_in_a_session_of_its_own()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var program = new RewardProcess("while read l; do echo \"{\\\"reward\\\": $(cut -d' ' -f6 /proc/$$/stat)}\"; done");
        float session = program.Score([new JsonObject()], _ => "probe")[0];
        Assert.NotEqual(SessionOf("self"), (long)session);
    }

    [Fact]
    public void An_interrupt_ends_the_wait_for_an_answer_and_stops_the_program()
    {
        if (!OperatingSystem.IsLinux()) return;
        string marker = Path.Combine(dir, "pid");
        var program = new RewardProcess($"read l; echo $$ > '{marker}.tmp'; mv '{marker}.tmp' '{marker}'; exec sleep 1000", TimeSpan.FromHours(1));
        var scoring = Task.Run(() => program.Score([new JsonObject()], _ => "the request"));
        Assert.True(SpinWait.SpinUntil(() => File.Exists(marker), TimeSpan.FromMinutes(2)), "the program never read its request");
        int pid = int.Parse(File.ReadAllText(marker).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        program.Interrupt();
        var e = Assert.Throws<AggregateException>(() => scoring.Wait(TimeSpan.FromMinutes(2)));
        Assert.IsAssignableFrom<OperationCanceledException>(e.InnerException);
        Assert.False(Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(" Z ", StringComparison.Ordinal), $"program {pid} still runs");
        program.Dispose();
    }

    private static long SessionOf(string pid) => long.Parse(File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[4], System.Globalization.CultureInfo.InvariantCulture);
}
