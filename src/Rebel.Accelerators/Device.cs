// A device: the managed host engine, or an ILGPU accelerator (CPU emulation or CUDA) with its kernel library and GEMM.
// Opening `cuda` first probes the NVIDIA driver library itself, so a machine without one gets an error naming the file looked for.
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using Rebel.Accelerators.Blas;
using Rebel.Accelerators.Kernels;
using Rebel.Tensors;

namespace Rebel.Accelerators;

/// <summary>Opens the device a command names: <c>cpu</c> (the managed engine), <c>ilgpu-cpu</c> or <c>cuda</c> (an <see cref="AcceleratorDevice"/>).</summary>
public static class Device
{
    /// <summary>Opens the device named on the command line: cpu, ilgpu-cpu or cuda.</summary>
    public static TensorDevice Open(string name) => Open(DeviceNames.Parse(name));

    /// <summary>
    /// Opens a device. <see cref="DeviceKind.Cuda"/> throws <see cref="DeviceUnavailableException"/> naming the driver library
    /// looked for when no NVIDIA driver or GPU is present.
    /// </summary>
    public static TensorDevice Open(DeviceKind kind) => kind switch
    {
        DeviceKind.Cpu => TensorDevice.Cpu,
        DeviceKind.IlgpuCpu => AcceleratorDevice.OpenIlgpuCpu(),
        DeviceKind.Cuda => AcceleratorDevice.OpenCuda(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown device kind."),
    };
}

/// <summary>An ILGPU accelerator (its CPU emulation or a CUDA GPU) with the kernel library and GEMM compiled for it.</summary>
public sealed partial class AcceleratorDevice : TensorDevice, IDisposable
{
    /// <summary>Driver libraries probed before ILGPU's CUDA backend is asked for devices.</summary>
    internal static readonly string[] CudaDriverNames = OperatingSystem.IsWindows() ? ["nvcuda.dll"] : ["libcuda.so.1", "libcuda.so"];

    private readonly Context context;

    /// <summary>The ILGPU accelerator the kernels run on.</summary>
    internal Accelerator Accelerator { get; }

    /// <summary>The element-wise, row-wise, lookup, loss and optimizer kernels, compiled for this accelerator on first use.</summary>
    public DeviceKernels Kernels { get; }

    /// <summary>Matrix products: cuBLAS on CUDA, the managed GEMM (through host copies) on the CPU accelerator.</summary>
    public DeviceGemm Gemm { get; }

    /// <summary>The kind of device (ilgpu-cpu or cuda).</summary>
    public DeviceKind Kind { get; }

    /// <inheritdoc />
    public override string Name => DeviceNames.Name(Kind);

    private AcceleratorDevice(DeviceKind kind, Context context, Accelerator accelerator, Func<AcceleratorDevice, DeviceGemm> gemm)
    {
        Kind = kind;
        this.context = context;
        Accelerator = accelerator;
        Kernels = new DeviceKernels(this);
        Gemm = gemm(this);
    }

    /// <inheritdoc />
    public override string Description => $"{Accelerator.Name}, {Accelerator.MemorySize / (1 << 20)} MiB";

    /// <summary>
    /// The simulated CPU device: groups of one warp of two threads (so every row kernel strides over its row with several lanes and
    /// reduces across them) and one group at a time. Every simulated thread is an OS thread meeting the others at barriers; a
    /// second warp per group made the kernel tests 20–40 times slower on a busy 2-core machine (78–98 s against 2–4 s, alternated
    /// runs at load average 10–16): this device exists to check the kernels, not to be fast.
    /// </summary>
    internal static CPUDevice IlgpuCpuShape { get; } = new(numThreadsPerWarp: 2, numWarpsPerMultiprocessor: 1, numMultiprocessors: 1);

    /// <summary>
    /// The kernel compiler's settings in every context this library opens (and in the PTX test's): ILGPU.Algorithms' intrinsics
    /// (group reductions, XMath) and ILGPU's default math mode (f32 stays f32, f64 stays f64).
    /// </summary>
    internal static Context.Builder WithKernelSettings(Context.Builder builder) => builder.EnableAlgorithms().Math(MathMode.Default);

    internal static AcceleratorDevice OpenIlgpuCpu()
    {
        var context = Context.Create(b => WithKernelSettings(b.CPU(IlgpuCpuShape)));
        var accelerator = context.CreateCPUAccelerator(0, CPUAcceleratorMode.Parallel);
        return new AcceleratorDevice(DeviceKind.IlgpuCpu, context, accelerator, d => new HostGemm(d));
    }

    internal static AcceleratorDevice OpenCuda()
    {
        if (!CudaDriverNames.Any(n => NativeLibrary.TryLoad(n, out _)))
            throw new DeviceUnavailableException(
                $"cuda: no NVIDIA driver found (looked for {string.Join(", ", CudaDriverNames)} on the library path). Install the NVIDIA driver, or use the cpu or ilgpu-cpu device.");
        var context = Context.Create(b => WithKernelSettings(b.Cuda()));
        var devices = context.GetCudaDevices();
        if (devices.Count == 0)
        {
            context.Dispose();
            throw new DeviceUnavailableException("cuda: the NVIDIA driver loaded but reported no CUDA device (checked through ILGPU's CUDA backend). Use the cpu or ilgpu-cpu device.");
        }
        var accelerator = context.CreateCudaAccelerator(0);
        try
        {
            return new AcceleratorDevice(DeviceKind.Cuda, context, accelerator, d => new CublasGemm(d));
        }
        catch
        {
            accelerator.Dispose();
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A zeroed buffer of the given shape on this device. Inside a <see cref="TensorScope"/> it comes from the device's pool and goes
    /// back when the scope ends (disposing it then frees nothing), as host buffers do; outside one it is a buffer of its own.
    /// </summary>
    public DeviceBuffer Allocate(params int[] shape)
    {
        if (!TensorScope.IsActive) return new(this, shape);
        var pooled = (DeviceBuffer)TensorScope.RentDevice(this, Tensor.ShapeSize(shape), clear: true);
        return pooled.ViewAs(shape);
    }

    /// <summary>Copies <paramref name="values"/> into a new buffer of the given shape on this device.</summary>
    public DeviceBuffer Upload(ReadOnlySpan<float> values, params int[] shape)
    {
        var buffer = new DeviceBuffer(this, shape, clear: false);
        if (values.Length != buffer.Size)
        {
            buffer.Dispose();
            throw new ArgumentException($"Upload: {values.Length} values cannot fill shape {Tensors.Tensor.Format(shape)}.");
        }
        buffer.CopyFrom(values);
        return buffer;
    }

    /// <summary>Copies a host tensor's values onto this device (explicit ToDevice).</summary>
    public DeviceBuffer Upload(Tensors.Tensor tensor) => Upload(tensor.ToArray(), tensor.Shape);

    /// <summary>Waits for every kernel launched on this device to finish.</summary>
    public override void Synchronize() => Accelerator.Synchronize();

    /// <summary>Releases the pooled buffers, the kernels, the accelerator and its context.</summary>
    public void Dispose()
    {
        TrimPool();
        Gemm.Dispose();
        Kernels.Dispose();
        Accelerator.Dispose();
        context.Dispose();
        GC.SuppressFinalize(this);
    }
}
