// The three places an op can run: the managed engine on the host, ILGPU's CPU accelerator (the same kernels a GPU runs,
// executed by CPU threads: how CI tests the kernels), and an NVIDIA GPU through ILGPU's CUDA backend.
namespace Rebel.Accelerators;

/// <summary>Where tensors live and ops run.</summary>
public enum DeviceKind
{
    /// <summary>The managed engine of Rebel.Tensors on the host (the default; `--device cpu`).</summary>
    Cpu,

    /// <summary>ILGPU's CPU accelerator: the accelerator kernels run on CPU threads (`--device ilgpu-cpu`; for tests and CI).</summary>
    IlgpuCpu,

    /// <summary>An NVIDIA GPU through ILGPU's CUDA backend, GEMM through cuBLAS (`--device cuda`).</summary>
    Cuda,
}

/// <summary>Names of <see cref="DeviceKind"/> as the command line spells them.</summary>
public static class DeviceNames
{
    /// <summary>The accepted names, in the order of <see cref="DeviceKind"/>.</summary>
    public static IReadOnlyList<string> All { get; } = ["cpu", "ilgpu-cpu", "cuda"];

    /// <summary>The kind named <paramref name="name"/> (cpu, ilgpu-cpu or cuda, case-insensitive); an unknown name is an error listing the known ones.</summary>
    public static DeviceKind Parse(string name)
    {
        for (int i = 0; i < All.Count; i++)
            if (string.Equals(All[i], name.Trim(), StringComparison.OrdinalIgnoreCase)) return (DeviceKind)i;
        throw new ArgumentException($"Unknown device '{name}': expected one of {string.Join(", ", All)}.");
    }

    /// <summary>The command-line name of <paramref name="kind"/>.</summary>
    public static string Name(DeviceKind kind) => All[(int)kind];
}

/// <summary>Thrown when a device is asked for that this machine cannot provide (no NVIDIA driver, no GPU, no cuBLAS); the message names what was looked for.</summary>
public sealed class DeviceUnavailableException(string message) : Exception(message);
