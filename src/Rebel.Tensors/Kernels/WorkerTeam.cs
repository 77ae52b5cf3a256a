// The threads every parallel kernel runs on: the calling thread plus one persistent worker per other core. A decode step
// is ~50 products of well under a millisecond each; handing each to the thread pool (Parallel.For) woke a sleeping worker
// too late to take a share, so those products ran on one core. Team workers instead spin for a short while after each
// job, so back-to-back jobs find them awake, and only then sleep. Parts are taken from a shared counter, so a worker that
// arrives late (or a core another process holds) just takes fewer. One job runs at a time: a job started from inside a
// job, or from another thread while one runs, runs its parts on its own thread, in order.
using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Rebel.Tensors.Kernels;

/// <summary>Runs the parts of a job on the calling thread and the team's persistent workers.</summary>
public static class WorkerTeam
{
    /// <summary>How long a worker keeps looking for the next job before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 µs

    private static readonly Lazy<Worker[]> Workers = new(StartWorkers);
    private static Job? s_job;
    private static int s_busy;

    /// <summary>Threads a job can use: the caller plus one worker per other core.</summary>
    public static int Size { get; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// Calls <paramref name="body"/>(0 … <paramref name="parts"/> − 1), each exactly once, spread over the team; returns when
    /// all have finished. The first exception a part throws is rethrown here after every part has run or failed.
    /// </summary>
    public static void For(int parts, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (parts <= 0) return;
        if (parts == 1 || Size == 1 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            RunInline(parts, body);
            return;
        }
        try
        {
            var job = new Job(body, parts);
            Volatile.Write(ref s_job, job);
            foreach (var worker in Workers.Value) worker.Wake();
            job.RunParts();
            while (Volatile.Read(ref job.Pending) > 0) Thread.SpinWait(8); // pause, never yield: a yield can give the core away for a time slice
            job.Release();
            if (job.Error is { } error) error.Throw();
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    // A job run on the calling thread alone (one part, one core, or the team busy with another job): like a team job, every
    // part runs and the first failure is rethrown after the last.
    private static void RunInline(int parts, Action<int> body)
    {
        ExceptionDispatchInfo? error = null;
        for (int i = 0; i < parts; i++)
        {
            try
            {
                body(i);
            }
            catch (Exception e)
            {
                error ??= ExceptionDispatchInfo.Capture(e);
            }
        }
        error?.Throw();
    }

    private static Worker[] StartWorkers()
    {
        var workers = new Worker[Size - 1];
        for (int i = 0; i < workers.Length; i++) workers[i] = new Worker(i);
        return workers;
    }

    /// <summary>One published job: its parts are claimed through <see cref="Next"/> by whichever thread comes first.</summary>
    private sealed class Job(Action<int> body, int parts)
    {
        private readonly int _parts = parts;
        private Action<int>? _body = body;
        public int Next;
        public int Pending = parts;
        public ExceptionDispatchInfo? Error;

        /// <summary>Drops the body once every part has run, so the published job holds nothing the body captured.</summary>
        public void Release() => _body = null;

        public void RunParts()
        {
            for (int i; (i = Interlocked.Increment(ref Next) - 1) < _parts;)
            {
                try { _body!(i); }
                catch (Exception e) { Interlocked.CompareExchange(ref Error, ExceptionDispatchInfo.Capture(e), null); }
                finally { Interlocked.Decrement(ref Pending); }
            }
        }
    }

    /// <summary>A background thread that runs the parts of every new job, spinning between jobs before it sleeps.</summary>
    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private int _sleeping;

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"Rebel worker {index + 1}" };
            thread.Start();
        }

        /// <summary>Wakes the worker if it sleeps (a spinning worker sees the new job by itself).</summary>
        public void Wake()
        {
            if (Interlocked.Exchange(ref _sleeping, 0) == 1) _wake.Release();
        }

        private void Loop()
        {
            Job? done = null;
            while (true)
            {
                var job = Volatile.Read(ref s_job);
                if (job is not null && !ReferenceEquals(job, done))
                {
                    job.RunParts();
                    done = job;
                    continue;
                }
                if (SpinForJob(done)) continue;
                Volatile.Write(ref _sleeping, 1);
                if (!ReferenceEquals(Volatile.Read(ref s_job), done))
                {
                    // a job arrived after the spin ended: take it, and balance the semaphore if the caller already woke us
                    if (Interlocked.Exchange(ref _sleeping, 0) == 0) _wake.Wait();
                    continue;
                }
                _wake.Wait();
            }
        }

        // Spins until a job other than `done` is published (true) or the spin time runs out (false).
        private static bool SpinForJob(Job? done)
        {
            long start = Stopwatch.GetTimestamp();
            while (Stopwatch.GetTimestamp() - start < SpinTicks)
            {
                if (!ReferenceEquals(Volatile.Read(ref s_job), done)) return true;
                Thread.SpinWait(8);
            }
            return false;
        }
    }
}
