// Key/value cache for incremental decoding: per layer, keys and values of every position seen so far.
namespace Rebel.Tensors;

/// <summary>Keys and values (B, capacity, Hkv·D) of the positions decoded so far; <see cref="Ops.Attention"/> appends to it.</summary>
public sealed class KvCache
{
    /// <summary>Keys, laid out (B, Capacity, Hkv·D) (empty for a cache on an accelerator).</summary>
    internal float[] Keys { get; }

    /// <summary>Values, laid out (B, Capacity, Hkv·D) (empty for a cache on an accelerator).</summary>
    internal float[] Values { get; }

    /// <summary>Keys on the accelerator, laid out (B, Capacity, Hkv·D), for a cache made with a device.</summary>
    internal DeviceStorage? DeviceKeys { get; }

    /// <summary>Values on the accelerator, laid out (B, Capacity, Hkv·D), for a cache made with a device.</summary>
    internal DeviceStorage? DeviceValues { get; }

    /// <summary>Where the cache lives: the host, or the accelerator that runs the model.</summary>
    public TensorDevice Device => DeviceKeys?.Device ?? TensorDevice.Cpu;

    /// <summary>Batch size.</summary>
    public int Batch { get; }

    /// <summary>Most positions the cache can hold.</summary>
    public int Capacity { get; }

    /// <summary>Hkv·D, the width of one position's keys.</summary>
    public int Width { get; }

    /// <summary>Positions filled so far.</summary>
    public int Length { get; private set; }

    /// <summary>
    /// An empty cache, allocated once for every position it can hold. Inside a <see cref="TensorScope"/> its arrays come from the
    /// scope's pool (so repeated generations reuse them) and must not be used after the scope ends.
    /// </summary>
    public KvCache(int batch, int capacity, int width) : this(batch, capacity, width, TensorDevice.Cpu)
    {
    }

    /// <summary>An empty cache on <paramref name="device"/> (the host, or the accelerator the model's parameters live on), so
    /// decoding keeps keys and values where the attention runs.</summary>
    public KvCache(int batch, int capacity, int width, TensorDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        Batch = batch; Capacity = capacity; Width = width;
        long size = (long)batch * capacity * width;
        if (batch < 0 || capacity < 0 || width < 0 || size > Array.MaxLength) throw new ArgumentException($"KvCache: batch {batch} × capacity {capacity} × width {width} is not a valid size.");
        if (device.IsHost)
        {
            Keys = TensorScope.Rent((int)size, clear: false);
            Values = TensorScope.Rent((int)size, clear: false);
        }
        else
        {
            Keys = Values = [];
            DeviceKeys = TensorScope.RentDevice(device, (int)size, clear: false);
            DeviceValues = TensorScope.RentDevice(device, (int)size, clear: false);
        }
    }

    /// <summary>Forgets positions from <paramref name="length"/> on.</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length), $"KvCache: cannot truncate {Length} positions to {length}.");
        Length = length;
    }

    /// <summary>
    /// Fills this empty cache from <paramref name="source"/>: row b receives every position of source row <paramref name="rows"/>[b]
    /// (a prompt prefilled once, then shared by the rows that complete it).
    /// </summary>
    public void CopyRowsFrom(KvCache source, ReadOnlySpan<int> rows)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (rows.Length != Batch) throw new ArgumentException($"KvCache: {rows.Length} source rows for a batch of {Batch}.");
        if (source.Width != Width) throw new ArgumentException($"KvCache: source width {source.Width} differs from {Width}.");
        if (Length != 0) throw new InvalidOperationException($"KvCache: copying rows into a cache that already holds {Length} positions.");
        if (source.Length > Capacity) throw new ArgumentException($"KvCache: {source.Length} source positions exceed the capacity {Capacity}.");
        if (source.Device != Device) throw new ArgumentException($"KvCache: the source cache lives on {source.Device}, this one on {Device}.");
        int count = source.Length * Width;
        for (int b = 0; b < Batch; b++)
        {
            if ((uint)rows[b] >= (uint)source.Batch) throw new ArgumentOutOfRangeException(nameof(rows), $"KvCache: source row {rows[b]} is outside its batch of {source.Batch}.");
            int src = rows[b] * source.Capacity * Width, dst = b * Capacity * Width;
            if (DeviceKeys is not null)
            {
                Device.CopyStorage(source.DeviceKeys!, src, DeviceKeys, dst, count);
                Device.CopyStorage(source.DeviceValues!, src, DeviceValues!, dst, count);
                continue;
            }
            source.Keys.AsSpan(src, count).CopyTo(Keys.AsSpan(dst, count));
            source.Values.AsSpan(src, count).CopyTo(Values.AsSpan(dst, count));
        }
        Length = source.Length;
    }

    /// <summary>Appends t positions: row r of batch b of k (and v) starts at (b·t + r)·<paramref name="rowStride"/>.</summary>
    internal void Append(ReadOnlySpan<float> k, ReadOnlySpan<float> v, int t, int rowStride)
    {
        if (Length + t > Capacity) throw new InvalidOperationException($"KvCache: {Length} + {t} positions exceed the capacity {Capacity}.");
        for (int b = 0; b < Batch; b++)
        {
            for (int r = 0; r < t; r++)
            {
                int src = (b * t + r) * rowStride, dst = (b * Capacity + Length + r) * Width;
                k.Slice(src, Width).CopyTo(Keys.AsSpan(dst, Width));
                v.Slice(src, Width).CopyTo(Values.AsSpan(dst, Width));
            }
        }
        Length += t;
    }

    /// <summary>Appends t positions of k and v, both (B, t, Width) on this cache's accelerator.</summary>
    internal void AppendOnDevice(Tensor k, Tensor v, int t)
    {
        if (Length + t > Capacity) throw new InvalidOperationException($"KvCache: {Length} + {t} positions exceed the capacity {Capacity}.");
        for (int b = 0; b < Batch; b++)
        {
            int dst = (b * Capacity + Length) * Width;
            Device.CopyStorage(k.Storage, b * t * Width, DeviceKeys!, dst, t * Width);
            Device.CopyStorage(v.Storage, b * t * Width, DeviceValues!, dst, t * Width);
        }
        Length += t;
    }
}
