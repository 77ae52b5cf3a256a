// The worker team: every part runs exactly once, the caller returns only once slow parts on other threads have finished,
// a part's exception reaches the caller after the others have run, a job started from inside a job runs inline, and jobs
// from several threads at once all complete.
using Rebel.Tensors.Kernels;

namespace Rebel.Tensors.Tests;

public class WorkerTeamTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(1000)]
    public void Every_part_runs_exactly_once(int parts)
    {
        for (int round = 0; round < 50; round++)
        {
            var counts = new int[parts];
            WorkerTeam.For(parts, i => Interlocked.Increment(ref counts[i]));
            Assert.All(counts, c => Assert.Equal(1, c));
        }
    }

    [Fact]
    public void The_caller_returns_only_after_slow_parts_on_other_threads_have_finished()
    {
        // parts of 0 to a few ms in random places: the caller often finishes its own long before a worker's, and a wait
        // that ended early (or a wake-up left over from an earlier round) would show as a part not yet done
        var rng = new Random(5);
        for (int round = 0; round < 100; round++)
        {
            var delays = Enumerable.Range(0, 4).Select(_ => rng.Next(3) == 0 ? rng.Next(2000) : 0).ToArray();
            var done = new int[delays.Length];
            WorkerTeam.For(delays.Length, i =>
            {
                if (delays[i] > 1000) Thread.Sleep(1);
                else Thread.SpinWait(delays[i] * 100);
                Volatile.Write(ref done[i], 1);
            });
            Assert.All(done, d => Assert.Equal(1, d));
        }
    }

    [Fact]
    public void A_failing_part_is_rethrown_after_every_other_part_ran()
    {
        var ran = new int[64];
        var error = Assert.Throws<InvalidOperationException>(() => WorkerTeam.For(64, i =>
        {
            Interlocked.Increment(ref ran[i]);
            if (i == 13) throw new InvalidOperationException("part 13");
        }));
        Assert.Equal("part 13", error.Message);
        Assert.All(ran, c => Assert.Equal(1, c));
        var after = new int[8];
        WorkerTeam.For(8, i => after[i]++); // the team still works after a failure
        Assert.All(after, c => Assert.Equal(1, c));
    }

    [Fact]
    public void A_failing_part_of_an_inline_job_is_rethrown_after_every_other_part_ran()
    {
        var ran = new int[2 * 32];
        var errors = new string?[2];
        WorkerTeam.For(2, outer => // the inner jobs run inline: the team is busy with the outer one
        {
            try
            {
                WorkerTeam.For(32, i =>
                {
                    Interlocked.Increment(ref ran[outer * 32 + i]);
                    if (i == 5) throw new InvalidOperationException($"part {outer}.5");
                });
            }
            catch (InvalidOperationException e)
            {
                errors[outer] = e.Message;
            }
        });
        Assert.Equal("part 0.5", errors[0]);
        Assert.Equal("part 1.5", errors[1]);
        Assert.All(ran, c => Assert.Equal(1, c));
    }

    [Fact]
    public void A_job_inside_a_job_runs_inline_and_completes()
    {
        var counts = new int[16 * 16];
        WorkerTeam.For(16, outer => WorkerTeam.For(16, inner => Interlocked.Increment(ref counts[outer * 16 + inner])));
        Assert.All(counts, c => Assert.Equal(1, c));
    }

    [Fact]
    public void Jobs_from_several_threads_at_once_all_complete()
    {
        var totals = new long[4];
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (int round = 0; round < 200; round++)
                WorkerTeam.For(10, i => Interlocked.Add(ref totals[t], i + 1));
        })).ToArray();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        Assert.All(totals, total => Assert.Equal(200L * 55, total));
    }
}
