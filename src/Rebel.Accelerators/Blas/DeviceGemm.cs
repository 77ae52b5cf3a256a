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
    public void Multiply(DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int m, int n, int k, bool transA = false, bool transB = false, bool accumulate = false)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"Gemm: negative size m={m} n={n} k={k}.");
        Require("A", a, (long)m * k, transA ? $"{k}×{m}" : $"{m}×{k}");
        Require("B", b, (long)k * n, transB ? $"{n}×{k}" : $"{k}×{n}");
        Require("C", c, (long)m * n, $"{m}×{n}");
        if (m == 0 || n == 0) return;
        Run(a, b, c, m, n, k, transA, transB, accumulate);
    }

    private void Require(string name, DeviceBuffer x, long size, string dims)
    {
        if (x.Device != Device) throw new ArgumentException($"Gemm: {name} lives on {x.Device}, the GEMM on {Device}; move it explicitly first.");
        if (x.Size != size) throw new ArgumentException($"Gemm: {name} {Rebel.Tensors.Tensor.Format(x.Shape)} does not hold a {dims} matrix.");
    }

    /// <summary>Runs the product once sizes are checked (m, n &gt; 0).</summary>
    private protected abstract void Run(DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int m, int n, int k, bool transA, bool transB, bool accumulate);

    /// <summary>Releases native resources.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>GEMM for ILGPU's CPU accelerator: copies the operands to the host, runs Rebel.Tensors' managed GEMM, copies C back.</summary>
public sealed class HostGemm : DeviceGemm
{
    internal HostGemm(AcceleratorDevice device) : base(device)
    {
    }

    private protected override void Run(DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int m, int n, int k, bool transA, bool transB, bool accumulate)
    {
        var result = accumulate ? c.ToArray() : new float[c.Size];
        Rebel.Tensors.Kernels.Gemm.Multiply(a.ToArray(), b.ToArray(), result, m, n, k, transA, transB, accumulate);
        c.CopyFrom(result);
    }
}
