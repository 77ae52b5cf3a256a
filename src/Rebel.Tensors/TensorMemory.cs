// Live tensor storage, counted by the engine: parameters and their gradients, optimizer state, tensors made outside a scope,
// and every buffer an open TensorScope holds. Free buffers waiting in the scope pool and the runtime's own memory are not
// counted, so the peak is the algorithm's memory (weights, moments, activations) rather than the process's resident size.
namespace Rebel.Tensors;

/// <summary>Process-wide counters of live tensor bytes and their peak (thread-safe, a few nanoseconds per allocation).</summary>
public static class TensorMemory
{
    private static long live, peak, deviceLive, devicePeak;

    /// <summary>Bytes of tensor storage alive now.</summary>
    public static long LiveBytes => Interlocked.Read(ref live);

    /// <summary>Most bytes alive at once since the process started or <see cref="ResetPeak"/>.</summary>
    public static long PeakBytes => Interlocked.Read(ref peak);

    /// <summary>Starts a new peak from the bytes alive now.</summary>
    public static void ResetPeak()
    {
        Interlocked.Exchange(ref peak, LiveBytes);
        Interlocked.Exchange(ref devicePeak, DeviceLiveBytes);
    }

    /// <summary>Bytes of tensor storage alive now on accelerators (device tensors, their gradients, optimizer moments there).</summary>
    public static long DeviceLiveBytes => Interlocked.Read(ref deviceLive);

    /// <summary>Most accelerator bytes alive at once since the process started or <see cref="ResetPeak"/>.</summary>
    public static long DevicePeakBytes => Interlocked.Read(ref devicePeak);

    internal static void AddDevice(long bytes) => Count(ref deviceLive, ref devicePeak, bytes);

    internal static void Add(long bytes) => Count(ref live, ref peak, bytes);

    private static void Count(ref long live, ref long peak, long bytes)
    {
        long now = Interlocked.Add(ref live, bytes);
        long seen = Interlocked.Read(ref peak);
        while (now > seen)
        {
            long previous = Interlocked.CompareExchange(ref peak, now, seen);
            if (previous == seen) break;
            seen = previous;
        }
    }
}

/// <summary>
/// Counts garbage-collected storage (a parameter and its gradient, optimizer moments) as live until its owner is collected:
/// the owner holds the lease, whose finalizer takes the bytes off the count.
/// </summary>
internal sealed class StorageLease
{
    private long bytes;
    private readonly bool onDevice; // counts accelerator bytes (TensorMemory.DeviceLiveBytes) instead of host ones

    /// <summary>Counts <paramref name="floats"/> floats of host storage, or of an accelerator's when <paramref name="onDevice"/>.</summary>
    public StorageLease(long floats, bool onDevice = false)
    {
        this.onDevice = onDevice;
        Grow(floats);
    }

    /// <summary>Counts <paramref name="floats"/> more floats.</summary>
    public void Grow(long floats)
    {
        bytes += floats * sizeof(float);
        Count(floats * sizeof(float));
    }

    private void Count(long delta)
    {
        if (onDevice) TensorMemory.AddDevice(delta);
        else TensorMemory.Add(delta);
    }

    /// <summary>Bytes counted now.</summary>
    public long Bytes => bytes;

    /// <summary>Takes <paramref name="bytes"/> off the count (storage narrowed in place).</summary>
    public void Shrink(long bytes)
    {
        this.bytes -= bytes;
        Count(-bytes);
    }

    ~StorageLease() => Count(-bytes);
}
