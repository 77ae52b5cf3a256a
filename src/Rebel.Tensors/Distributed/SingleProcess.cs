// The default job of one process: every collective is the identity, so nothing about single-process training changes.
namespace Rebel.Tensors.Distributed;

/// <summary>A job of one process (rank 0 of 1); collectives return their input.</summary>
public sealed class SingleProcess : ICollectives
{
    /// <inheritdoc/>
    public int Rank => 0;

    /// <inheritdoc/>
    public int Size => 1;

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> buffer) { }

    /// <inheritdoc/>
    public void AllReduceSum(Span<double> buffer) { }

    /// <inheritdoc/>
    public void Broadcast(Span<byte> buffer, int root)
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), $"Broadcast: root {root} in a job of one process.");
    }

    /// <inheritdoc/>
    public void AllGather(ReadOnlySpan<byte> local, Span<byte> all) => local.CopyTo(all);

    /// <inheritdoc/>
    public void Barrier() { }

    /// <inheritdoc/>
    public void Abort(int exitCode) => Environment.Exit(exitCode);
}
