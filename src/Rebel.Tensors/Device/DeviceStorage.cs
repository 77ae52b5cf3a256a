// Storage on an accelerator: a run of float32 values in the device's memory, owned by one TensorDevice. The engine only
// allocates, copies and frees it; kernels (in Rebel.Accelerators) read and write it.
namespace Rebel.Tensors;

/// <summary>
/// A buffer of <see cref="Capacity"/> float32 values in an accelerator's memory. A device tensor of n elements uses the first n;
/// pooled buffers may be longer (size classes).
/// </summary>
public abstract class DeviceStorage : IDisposable
{
    /// <summary>The device that holds the buffer.</summary>
    public TensorDevice Device => Holder;

    /// <summary>The device that holds the buffer (implementations may expose it under a more specific type).</summary>
    protected abstract TensorDevice Holder { get; }

    /// <summary>The buffer that owns the memory (this one, or the owner of a view); scopes and pools track owners.</summary>
    public virtual DeviceStorage Root => this;

    /// <summary>Number of floats the buffer holds.</summary>
    public abstract int Capacity { get; }

    /// <summary>Copies <paramref name="values"/> into the buffer from element <paramref name="offset"/> on.</summary>
    public abstract void Upload(ReadOnlySpan<float> values, int offset = 0);

    /// <summary>Copies <paramref name="values"/>.Length elements from element <paramref name="offset"/> on into <paramref name="values"/> (waits for pending kernels).</summary>
    public abstract void Download(Span<float> values, int offset = 0);

    /// <summary>Sets the first <paramref name="length"/> elements to zero.</summary>
    public abstract void Clear(int length);

    /// <summary>Frees the device memory.</summary>
    public abstract void Dispose();

    /// <inheritdoc />
    public override string ToString() => $"DeviceStorage[{Capacity}] on {Device.Name}";
}
