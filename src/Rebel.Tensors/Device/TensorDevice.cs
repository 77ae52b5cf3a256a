// A device: where a tensor's storage lives and its ops run. The host (the managed engine: arrays and SIMD kernels) is
// TensorDevice.Cpu; accelerators (ILGPU's CPU emulation, CUDA) are implemented in Rebel.Accelerators and override the kernel
// methods of TensorDevice.Kernels.cs. Ops dispatch on their operands' device (Ops.Device.cs); moving data is always explicit.
namespace Rebel.Tensors;

/// <summary>
/// Where tensors live and ops run. <see cref="Cpu"/> is the managed engine; an accelerator (Rebel.Accelerators' AcceleratorDevice)
/// holds tensors in its own memory and runs every op with its kernels. Move tensors with <see cref="Ops.ToDevice"/> and
/// <see cref="Ops.ToHost"/> (differentiable copies), or a model's parameters with <see cref="Tensor.MoveTo"/>.
/// </summary>
public abstract partial class TensorDevice
{
    private readonly Dictionary<int, Stack<DeviceStorage>> free = [];
    private readonly Lock poolLock = new();
    private long pooledFloats, heldFloats, heldPeak;

    /// <summary>The managed engine on the host.</summary>
    public static TensorDevice Cpu { get; } = new HostTensorDevice();

    /// <summary>The command-line name: cpu, ilgpu-cpu or cuda.</summary>
    public abstract string Name { get; }

    /// <summary>A readable description (the accelerator's name and memory).</summary>
    public abstract string Description { get; }

    /// <summary>True for the host (<see cref="Cpu"/>).</summary>
    public bool IsHost => this is HostTensorDevice;

    /// <summary>A new buffer of exactly <paramref name="length"/> floats with unspecified contents.</summary>
    protected internal abstract DeviceStorage AllocateStorage(int length);

    /// <summary>Copies <paramref name="length"/> floats from <paramref name="source"/> at <paramref name="sourceOffset"/> to
    /// <paramref name="destination"/> at <paramref name="destinationOffset"/>, on the device.</summary>
    protected internal abstract void CopyStorage(DeviceStorage source, int sourceOffset, DeviceStorage destination, int destinationOffset, int length);

    /// <summary>Waits for every kernel launched on this device to finish.</summary>
    public virtual void Synchronize()
    {
    }

    // A buffer of at least length floats from the device's pool (size classes as the host pool's), cleared when asked.
    internal DeviceStorage Rent(int length, bool clear)
    {
        int size = TensorScope.SizeClass(Math.Max(length, 1));
        DeviceStorage? storage = null;
        lock (poolLock)
        {
            if (free.TryGetValue(size, out var stack) && stack.Count > 0)
            {
                storage = stack.Pop();
                pooledFloats -= size;
            }
            heldFloats += size;
            heldPeak = Math.Max(heldPeak, heldFloats);
        }
        storage ??= AllocateStorage(size);
        if (clear) storage.Clear(length);
        TensorMemory.AddDevice((long)size * sizeof(float));
        return storage;
    }

    // Gives a rented buffer back to the pool; the pool stays under the most this device's scopes ever held at once.
    internal void Return(DeviceStorage storage)
    {
        int size = storage.Capacity;
        TensorMemory.AddDevice(-(long)size * sizeof(float));
        lock (poolLock)
        {
            heldFloats -= size;
            if (pooledFloats + size <= heldPeak)
            {
                if (!free.TryGetValue(size, out var stack)) free[size] = stack = new Stack<DeviceStorage>();
                stack.Push(storage);
                pooledFloats += size;
                return;
            }
        }
        storage.Dispose();
    }

    /// <summary>Frees every pooled buffer of this device.</summary>
    public void TrimPool()
    {
        lock (poolLock)
        {
            foreach (var stack in free.Values)
                while (stack.Count > 0) stack.Pop().Dispose();
            free.Clear();
            pooledFloats = 0;
        }
    }

    /// <summary>The error for an op this device has no kernel for.</summary>
    internal Exception MissingKernel(string op) => NoKernel(op);

    /// <summary>The error for an op this device has no kernel for.</summary>
    protected Exception NoKernel(string op) =>
        new NotSupportedException($"{op}: the {Name} device has no kernel for this op yet; run it on the host (ToHost) or use --device cpu.");

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Description})";

    private sealed class HostTensorDevice : TensorDevice
    {
        public override string Name => "cpu";

        public override string Description => $"managed engine, {Environment.ProcessorCount} threads";

        protected internal override DeviceStorage AllocateStorage(int length) =>
            throw new InvalidOperationException("The host keeps tensors in arrays, not device storage.");

        protected internal override void CopyStorage(DeviceStorage source, int sourceOffset, DeviceStorage destination, int destinationOffset, int length) =>
            throw new InvalidOperationException("The host keeps tensors in arrays, not device storage.");
    }
}
