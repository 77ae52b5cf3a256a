// Matrix products on a device: C (M×N) = op(A)·op(B) (+ C), dense row-major, the contract of Rebel.Tensors' Gemm.Multiply.
// CUDA calls cuBLAS (CublasGemm); ILGPU's CPU accelerator falls back to the managed GEMM through host copies (HostGemm), since
// a hand-written ILGPU GEMM would reach a small fraction of either.
namespace Rebel.Accelerators.Blas;

/// <summary>Single-precision GEMM on one <see cref="AcceleratorDevice"/>.</summary>
public abstract class DeviceGemm : IDisposable
{
    /// <summary>The device whose buffers this GEMM multiplies.</summary>
    protected AcceleratorDevice Device { get; }

    private protected DeviceGemm(AcceleratorDevice device) => Device = device;

    /// <summary>
    /// C = op(A)·op(B) (+ C when <paramref name="accumulate"/>). A is M×K (K×M when <paramref name="transA"/>), B is K×N (N×K when
    /// <paramref name="transB"/>), C is M×N; every buffer must hold exactly those elements and live on this device.
    /// </summary>
    public void Multiply(DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int m, int n, int k, bool transA = false, bool transB = false, bool accumulate = false) =>
        MultiplyBatched(a, b, c, 1, m, n, k, transA, transB, accumulate);

    /// <summary>
    /// <paramref name="batch"/> independent products as in <see cref="Multiply"/>, the matrices packed back to back in each buffer:
    /// A_i = a[i·M·K ..], B_i = b[i·K·N ..], C_i = c[i·M·N ..] (attention's per-head products).
    /// </summary>
    public void MultiplyBatched(DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int batch, int m, int n, int k,
        bool transA = false, bool transB = false, bool accumulate = false)
    {
        if (batch < 0 || m < 0 || n < 0 || k < 0) throw new ArgumentException($"Gemm: negative size batch={batch} m={m} n={n} k={k}.");
        string Matrices(int rows, int cols) => batch == 1 ? $"a {rows}×{cols} matrix" : $"{batch} {rows}×{cols} matrices";
        Require("A", a, (long)batch * m * k, transA ? Matrices(k, m) : Matrices(m, k));
        Require("B", b, (long)batch * k * n, transB ? Matrices(n, k) : Matrices(k, n));
        Require("C", c, (long)batch * m * n, Matrices(m, n));
        if (batch == 0 || m == 0 || n == 0) return;
        Run(a, b, c, batch, m, n, k, transA, transB, accumulate);
    }

    private void Require(string name, DeviceBuffer x, long size, string dims)
    {
        if (x.Device != Device) throw new ArgumentException($"Gemm: {name} lives on {x.Device}, the GEMM on {Device}; move it explicitly first.");
        if (x.Size != size) throw new ArgumentException($"Gemm: {name} {Rebel.Tensors.Tensor.Format(x.Shape)} does not hold {dims}.");
    }

    /// <summary>Runs the products once sizes are checked (batch, m, n &gt; 0).</summary>
    private protected abstract void Run(DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int batch, int m, int n, int k, bool transA, bool transB, bool accumulate);

    /// <summary>Releases native resources.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>GEMM for ILGPU's CPU accelerator: copies the operands to the host, runs Rebel.Tensors' managed GEMM, copies C back.</summary>
public sealed class HostGemm : DeviceGemm
{
    internal HostGemm(AcceleratorDevice device) : base(device)
    {
    }

    private protected override void Run(DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int batch, int m, int n, int k, bool transA, bool transB, bool accumulate)
    {
        var result = accumulate ? c.ToArray() : new float[c.Size];
        Rebel.Tensors.Kernels.Gemm.MultiplyBatched(a.ToArray(), b.ToArray(), result, batch, m, n, k, transA, transB, accumulate);
        c.CopyFrom(result);
    }
}
