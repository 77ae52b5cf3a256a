// The few collective operations data-parallel training needs (rank, size, sum all-reduce, broadcast, all-gather, barrier),
// and the process-wide choice between one process (the default) and Open MPI (when `mpirun` started this process).
namespace Rebel.Tensors.Distributed;

/// <summary>Collective operations over the processes of one job; every process must call them in the same order.</summary>
public interface ICollectives
{
    /// <summary>This process's index, 0 … <see cref="Size"/> − 1; rank 0 alone writes files.</summary>
    int Rank { get; }

    /// <summary>Number of processes in the job.</summary>
    int Size { get; }

    /// <summary>Replaces <paramref name="buffer"/> on every process by the element-wise sum over all processes.</summary>
    void AllReduceSum(Span<float> buffer);

    /// <summary>Replaces <paramref name="buffer"/> on every process by the element-wise sum over all processes.</summary>
    void AllReduceSum(Span<double> buffer);

    /// <summary>Copies <paramref name="buffer"/> of process <paramref name="root"/> into every other process's buffer of the same length.</summary>
    void Broadcast(Span<byte> buffer, int root);

    /// <summary>Gathers one small value from every process: on return <paramref name="all"/> (length <see cref="Size"/> × local length) holds rank 0's values first.</summary>
    void AllGather(ReadOnlySpan<byte> local, Span<byte> all);

    /// <summary>Returns once every process has called it.</summary>
    void Barrier();

    /// <summary>Ends every process of the job with <paramref name="exitCode"/> (a failing rank calls this so the others do not wait forever).</summary>
    void Abort(int exitCode);
}

/// <summary>The job this process belongs to, and helpers built on <see cref="ICollectives"/>.</summary>
public static class Collectives
{
    /// <summary>Environment variable Open MPI's launcher sets in every process it starts.</summary>
    public const string LauncherVariable = "OMPI_COMM_WORLD_SIZE";

    private static readonly Lazy<ICollectives> world = new(Create);

    /// <summary>
    /// The job: <see cref="MpiCollectives"/> when <see cref="LauncherVariable"/> is set (started by <c>mpirun</c>), otherwise a
    /// single process. Created (and MPI initialised) on first use.
    /// </summary>
    public static ICollectives World => world.Value;

    /// <summary>True when this process is rank 0 (the one that writes metrics, checkpoints, reports and models).</summary>
    public static bool IsRoot => World.Rank == 0;

    /// <summary>
    /// Every K optimizer steps the ranks compare a hash of their parameters and stop with an error if they differ (0: never).
    /// A debugging aid for data-parallel runs (set by <c>rebel --check-replicas K</c>).
    /// </summary>
    public static int ReplicaCheckEvery { get; set; }

    private static ICollectives Create() =>
        Environment.GetEnvironmentVariable(LauncherVariable) is { Length: > 0 } ? MpiCollectives.Initialize() : new SingleProcess();

    /// <summary>
    /// This process's contiguous share of a global batch that every process holds in the same order, and the index of its first
    /// item; the batch must split evenly so every rank's loss is a mean over the same number of items.
    /// </summary>
    public static (List<T> Items, int First) Share<T>(this ICollectives job, IReadOnlyList<T> global, string what)
    {
        if (global.Count % job.Size != 0)
            throw new ArgumentException($"{what}: {global.Count} does not split evenly over {job.Size} processes; choose a multiple of {job.Size}.");
        var (items, first, _) = job.WeightedShare(global, what);
        return (items, first);
    }

    /// <summary>
    /// This process's contiguous share of a global batch (sizes differ by at most one) and the weight that turns a mean over the share
    /// into its part of the mean over the batch once the ranks' gradients are averaged: N · share / batch.
    /// </summary>
    public static (List<T> Items, int First, float Weight) WeightedShare<T>(this ICollectives job, IReadOnlyList<T> global, string what)
    {
        int size = job.Size, rank = job.Rank;
        if (global.Count < size) throw new ArgumentException($"{what}: {global.Count} cannot be shared by {size} processes; give each at least one.");
        int n = global.Count / size + (rank < global.Count % size ? 1 : 0);
        int first = rank * (global.Count / size) + Math.Min(rank, global.Count % size);
        var items = new List<T>(n);
        for (int i = 0; i < n; i++) items.Add(global[first + i]);
        return (items, first, (float)((double)size * n / global.Count));
    }

    /// <summary>The mean over all processes of each value (one all-reduce for the whole span).</summary>
    public static void AllReduceMean(this ICollectives job, Span<double> values)
    {
        if (job.Size == 1) return;
        job.AllReduceSum(values);
        foreach (ref var v in values) v /= job.Size;
    }

    /// <summary>One 64-bit value from every process, in rank order.</summary>
    public static ulong[] AllGather(this ICollectives job, ulong value)
    {
        var all = new ulong[job.Size];
        job.AllGather(BitConverter.GetBytes(value), System.Runtime.InteropServices.MemoryMarshal.AsBytes(all.AsSpan()));
        return all;
    }
}
