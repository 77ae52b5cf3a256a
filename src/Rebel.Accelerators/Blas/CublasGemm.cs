// GEMM on CUDA through cuBLAS. cuBLAS is column-major; a row-major C = op(A)·op(B) is the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ,
// so the operands are passed swapped with their own transposition flags and leading dimensions. Runs on the accelerator's stream.
using ILGPU.Runtime.Cuda;

namespace Rebel.Accelerators.Blas;

/// <summary>SGEMM through cuBLAS on a CUDA <see cref="AcceleratorDevice"/>.</summary>
public sealed unsafe class CublasGemm : DeviceGemm
{
    private readonly CublasLibrary library;
    private IntPtr handle;

    internal CublasGemm(AcceleratorDevice device) : base(device)
    {
        library = CublasLibrary.Load();
        IntPtr h;
        CublasLibrary.Check(library.Create(&h), "cublasCreate_v2");
        handle = h;
        var stream = (CudaStream)device.Accelerator.DefaultStream;
        CublasLibrary.Check(library.SetStream(handle, stream.StreamPtr), "cublasSetStream_v2");
    }

    /// <summary>The cuBLAS library file in use.</summary>
    public string LibraryName => library.Name;

    private protected override void Run(DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int batch, int m, int n, int k, bool transA, bool transB, bool accumulate)
    {
        float alpha = 1f, beta = accumulate ? 1f : 0f;
        // Cᵀ (n×m, ldc n) = op(B)ᵀ (n×k) · op(A)ᵀ (k×m); row-major B is column-major Bᵀ with leading dimension its row length.
        int opB = transB ? CublasLibrary.OpT : CublasLibrary.OpN, opA = transA ? CublasLibrary.OpT : CublasLibrary.OpN;
        int ldb = transB ? k : n, lda = transA ? m : k;
        int status = batch == 1
            ? library.Sgemm(handle, opB, opA, n, m, k, &alpha, b.NativePointer, ldb, a.NativePointer, lda, &beta, c.NativePointer, n)
            : library.SgemmStridedBatched(handle, opB, opA, n, m, k, &alpha, b.NativePointer, ldb, (long)k * n, a.NativePointer, lda, (long)m * k,
                &beta, c.NativePointer, n, (long)m * n, batch);
        CublasLibrary.Check(status, batch == 1 ? "cublasSgemm_v2" : "cublasSgemmStridedBatched");
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        if (handle != IntPtr.Zero) library.Destroy(handle);
        handle = IntPtr.Zero;
        base.Dispose();
    }
}
