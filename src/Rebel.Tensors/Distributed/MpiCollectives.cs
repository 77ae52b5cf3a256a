// Collectives over MPI_COMM_WORLD of Open MPI; large buffers go in pieces of at most 2^28 elements (MPI counts are int).
namespace Rebel.Tensors.Distributed;

/// <summary>The job started by <c>mpirun</c>: MPI is initialised on creation and finalised when the process exits.</summary>
public sealed unsafe class MpiCollectives : ICollectives
{
    private const int Piece = 1 << 28;
    private readonly MpiLibrary mpi;

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    private MpiCollectives(MpiLibrary mpi)
    {
        this.mpi = mpi;
        int flag = 0, rank = 0, size = 0, provided = 0;
        Check(mpi.Initialized(&flag), "MPI_Initialized");
        if (flag == 0) Check(mpi.InitThread(null, null, MpiLibrary.ThreadSerialized, &provided), "MPI_Init_thread");
        Check(mpi.CommRank(mpi.CommWorld, &rank), "MPI_Comm_rank");
        Check(mpi.CommSize(mpi.CommWorld, &size), "MPI_Comm_size");
        (Rank, Size) = (rank, size);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Shutdown();
    }

    /// <summary>Loads libmpi and initialises MPI (see <see cref="MpiLibrary.Load"/> for the error when it is missing).</summary>
    public static MpiCollectives Initialize() => new(MpiLibrary.Load());

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> buffer)
    {
        for (int start = 0; start < buffer.Length; start += Piece)
        {
            var part = buffer[start..Math.Min(buffer.Length, start + Piece)];
            fixed (float* p = part) Check(mpi.Allreduce(MpiLibrary.InPlace, p, part.Length, mpi.Float, mpi.OpSum, mpi.CommWorld), "MPI_Allreduce");
        }
    }

    /// <inheritdoc/>
    public void AllReduceSum(Span<double> buffer)
    {
        for (int start = 0; start < buffer.Length; start += Piece)
        {
            var part = buffer[start..Math.Min(buffer.Length, start + Piece)];
            fixed (double* p = part) Check(mpi.Allreduce(MpiLibrary.InPlace, p, part.Length, mpi.Double, mpi.OpSum, mpi.CommWorld), "MPI_Allreduce");
        }
    }

    /// <inheritdoc/>
    public void Broadcast(Span<byte> buffer, int root)
    {
        for (int start = 0; start < buffer.Length; start += Piece)
        {
            var part = buffer[start..Math.Min(buffer.Length, start + Piece)];
            fixed (byte* p = part) Check(mpi.Bcast(p, part.Length, mpi.Byte, root, mpi.CommWorld), "MPI_Bcast");
        }
    }

    /// <inheritdoc/>
    public void AllGather(ReadOnlySpan<byte> local, Span<byte> all)
    {
        if (all.Length != local.Length * Size) throw new ArgumentException($"AllGather: {all.Length} bytes for {Size} × {local.Length}.");
        fixed (byte* s = local)
        fixed (byte* d = all)
            Check(mpi.Allgather(s, local.Length, mpi.Byte, d, local.Length, mpi.Byte, mpi.CommWorld), "MPI_Allgather");
    }

    /// <inheritdoc/>
    public void Barrier() => Check(mpi.Barrier(mpi.CommWorld), "MPI_Barrier");

    /// <inheritdoc/>
    public void Abort(int exitCode)
    {
        mpi.Abort(mpi.CommWorld, exitCode);
        Environment.Exit(exitCode);
    }

    private void Shutdown()
    {
        int done = 0;
        mpi.Finalized(&done);
        if (done == 0) mpi.Finalize();
    }

    private static void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"MPI: {call} failed with error code {code}.");
    }
}
