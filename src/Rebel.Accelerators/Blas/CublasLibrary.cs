// A thin binding to cuBLAS: the library is found at run time by probing the sonames of CUDA 13 then 12 (ILGPU's bundled
// wrapper looks only for 10–12), and the five entry points GEMM needs are bound as unmanaged function pointers.
using System.Runtime.InteropServices;

namespace Rebel.Accelerators.Blas;

/// <summary>cuBLAS's handle, stream and SGEMM entry points, loaded from the first library name that resolves.</summary>
internal sealed unsafe class CublasLibrary
{
    /// <summary>The names probed, newest first.</summary>
    internal static readonly string[] Names = OperatingSystem.IsWindows() ? ["cublas64_13.dll", "cublas64_12.dll"] : ["libcublas.so.13", "libcublas.so.12"];

    /// <summary>cublasOperation_t: CUBLAS_OP_N, CUBLAS_OP_T.</summary>
    internal const int OpN = 0, OpT = 1;

    public delegate* unmanaged<IntPtr*, int> Create;
    public delegate* unmanaged<IntPtr, int> Destroy;
    public delegate* unmanaged<IntPtr, IntPtr, int> SetStream;
    public delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, IntPtr, int, float*, IntPtr, int, int> Sgemm;
    public delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, long, IntPtr, int, long, float*, IntPtr, int, long, int, int> SgemmStridedBatched;

    /// <summary>The library name that resolved.</summary>
    public string Name { get; }

    private CublasLibrary(IntPtr handle, string name)
    {
        Name = name;
        Create = (delegate* unmanaged<IntPtr*, int>)Export(handle, "cublasCreate_v2");
        Destroy = (delegate* unmanaged<IntPtr, int>)Export(handle, "cublasDestroy_v2");
        SetStream = (delegate* unmanaged<IntPtr, IntPtr, int>)Export(handle, "cublasSetStream_v2");
        Sgemm = (delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, IntPtr, int, float*, IntPtr, int, int>)Export(handle, "cublasSgemm_v2");
        SgemmStridedBatched = (delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, long, IntPtr, int, long, float*, IntPtr, int, long, int, int>)
            Export(handle, "cublasSgemmStridedBatched");
    }

    private IntPtr Export(IntPtr handle, string symbol) =>
        NativeLibrary.TryGetExport(handle, symbol, out var address) ? address
            : throw new DeviceUnavailableException($"cuda: {Name} has no entry point {symbol}; it is not a usable cuBLAS.");

    /// <summary>Loads cuBLAS, or throws <see cref="DeviceUnavailableException"/> naming every library name tried.</summary>
    public static CublasLibrary Load()
    {
        foreach (var name in Names)
            if (NativeLibrary.TryLoad(name, out var handle)) return new CublasLibrary(handle, name);
        throw new DeviceUnavailableException(
            $"cuda: cuBLAS not found (looked for {string.Join(", ", Names)} on the library path). GEMM on cuda needs the cuBLAS of CUDA 12 or 13: install it (the CUDA toolkit or the nvidia-cublas package) and put its lib folder on LD_LIBRARY_PATH.");
    }

    /// <summary>Throws naming the call when a cuBLAS status is not CUBLAS_STATUS_SUCCESS.</summary>
    public static void Check(int status, string call)
    {
        if (status != 0) throw new InvalidOperationException($"cuda: {call} failed with cuBLAS status {status}.");
    }
}
