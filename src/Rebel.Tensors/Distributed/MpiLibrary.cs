// A thin binding to Open MPI's C library (libmpi.so.40, Debian's libopenmpi3): the handful of functions data-parallel
// training calls, resolved with NativeLibrary. In Open MPI the predefined handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, …)
// are the addresses of exported globals (ompi_mpi_comm_world, ompi_mpi_float, ompi_mpi_op_sum, …) and MPI_IN_PLACE is (void*)1.
using System.Runtime.InteropServices;

namespace Rebel.Tensors.Distributed;

/// <summary>Function pointers and predefined handles of Open MPI, loaded once.</summary>
internal sealed unsafe class MpiLibrary
{
    /// <summary>The library name tried first (Open MPI 3 and 4 share this soname).</summary>
    public const string LibraryName = "libmpi.so.40";

    /// <summary>MPI_THREAD_SERIALIZED: any one thread at a time may call MPI (trainers may run off the main thread).</summary>
    public const int ThreadSerialized = 2;

    /// <summary>Open MPI's MPI_IN_PLACE.</summary>
    public static readonly nint InPlace = 1;

    public readonly nint CommWorld, Float, Double, Byte, OpSum;
    public readonly delegate* unmanaged<int*, byte***, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<nint, int*, int> CommRank, CommSize;
    public readonly delegate* unmanaged<nint, void*, int, nint, nint, nint, int> Allreduce;
    public readonly delegate* unmanaged<void*, int, nint, int, nint, int> Bcast;
    public readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> Allgather;
    public readonly delegate* unmanaged<nint, int> Barrier;
    public readonly delegate* unmanaged<nint, int, int> Abort;

    private MpiLibrary(nint lib)
    {
        CommWorld = Export(lib, "ompi_mpi_comm_world");
        Float = Export(lib, "ompi_mpi_float");
        Double = Export(lib, "ompi_mpi_double");
        Byte = Export(lib, "ompi_mpi_byte");
        OpSum = Export(lib, "ompi_mpi_op_sum");
        InitThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export(lib, "MPI_Init_thread");
        Initialized = (delegate* unmanaged<int*, int>)Export(lib, "MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Export(lib, "MPI_Finalized");
        Finalize = (delegate* unmanaged<int>)Export(lib, "MPI_Finalize");
        CommRank = (delegate* unmanaged<nint, int*, int>)Export(lib, "MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Export(lib, "MPI_Comm_size");
        Allreduce = (delegate* unmanaged<nint, void*, int, nint, nint, nint, int>)Export(lib, "MPI_Allreduce");
        Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export(lib, "MPI_Bcast");
        Allgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)Export(lib, "MPI_Allgather");
        Barrier = (delegate* unmanaged<nint, int>)Export(lib, "MPI_Barrier");
        Abort = (delegate* unmanaged<nint, int, int>)Export(lib, "MPI_Abort");
    }

    /// <summary>
    /// Loads libmpi (with RTLD_GLOBAL, as Open MPI's plugins expect to find its symbols) or explains what to install;
    /// REBEL_LIBMPI names another file.
    /// </summary>
    public static MpiLibrary Load()
    {
        string name = Environment.GetEnvironmentVariable("REBEL_LIBMPI") is { Length: > 0 } custom ? custom : LibraryName;
        nint lib = OpenGlobal(name);
        if (lib == 0 && !NativeLibrary.TryLoad(name, out lib))
            throw new DllNotFoundException($"MPI: this process was started by mpirun ({Collectives.LauncherVariable} is set) but '{name}' could not be loaded. " +
                "Install Open MPI's library (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi3) or set REBEL_LIBMPI to its path.");
        return new MpiLibrary(lib);
    }

    private static nint Export(nint lib, string symbol) => NativeLibrary.TryGetExport(lib, symbol, out var address) ? address
        : throw new EntryPointNotFoundException($"MPI: '{symbol}' is missing from the loaded libmpi; Open MPI (libmpi.so.40) is required.");

    private static nint OpenGlobal(string name)
    {
        const int RtldNow = 2, RtldGlobal = 0x100;
        try { return DlOpen(name, RtldNow | RtldGlobal); }
        catch (DllNotFoundException) { return 0; }
        catch (EntryPointNotFoundException) { return 0; }
    }

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern nint DlOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);
}
