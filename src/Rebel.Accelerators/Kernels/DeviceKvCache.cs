// The key/value cache of one attention layer on a device, as the engine's KvCache: keys and values (B, capacity, Hkv·D) of the
// positions decoded so far. Appending writes the new positions in place; the attention then reads the filled part as
// (B, S, Hkv·D) buffers (one copy each per step: the composite's split into heads copies anyway).
using ILGPU;
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

/// <summary>Keys and values (B, capacity, Hkv·D) of the positions seen so far, on one <see cref="AcceleratorDevice"/>.</summary>
public sealed class DeviceKvCache : IDisposable
{
    private readonly AcceleratorDevice device;

    /// <summary>An empty cache, allocated once for every position it can hold.</summary>
    public DeviceKvCache(AcceleratorDevice device, int batch, int capacity, int width)
    {
        ArgumentNullException.ThrowIfNull(device);
        long size = (long)batch * capacity * width;
        if (batch < 0 || capacity < 0 || width < 0 || size > Array.MaxLength)
            throw new ArgumentException($"DeviceKvCache: batch {batch} × capacity {capacity} × width {width} is not a valid size.");
        this.device = device;
        Batch = batch; Capacity = capacity; Width = width;
        Keys = device.Allocate(batch, capacity, width);
        Values = device.Allocate(batch, capacity, width);
    }

    /// <summary>Batch size.</summary>
    public int Batch { get; }

    /// <summary>Most positions the cache can hold.</summary>
    public int Capacity { get; }

    /// <summary>Hkv·D, the width of one position's keys.</summary>
    public int Width { get; }

    /// <summary>Positions filled so far.</summary>
    public int Length { get; private set; }

    /// <summary>Keys (B, Capacity, Hkv·D); positions from <see cref="Length"/> on are stale.</summary>
    public DeviceBuffer Keys { get; }

    /// <summary>Values (B, Capacity, Hkv·D).</summary>
    public DeviceBuffer Values { get; }

    /// <summary>
    /// Writes k, v (B, T, Hkv·D) at positions [Length, Length + T) and returns the keys and values of every filled position,
    /// (B, Length + T, Hkv·D) copies for <see cref="DeviceAttention.Forward(AcceleratorDevice, DeviceBuffer, DeviceBuffer, DeviceBuffer, int, int, int[], bool, int, float, float?)"/> (the caller frees them).
    /// </summary>
    public (DeviceBuffer Keys, DeviceBuffer Values) Append(DeviceBuffer k, DeviceBuffer v)
    {
        if (k.Shape.Length != 3 || k.Shape[0] != Batch || k.Shape[2] != Width || !k.Shape.AsSpan().SequenceEqual(v.Shape))
            throw new ArgumentException($"DeviceKvCache: keys {Tensor.Format(k.Shape)} and values {Tensor.Format(v.Shape)} must both be ({Batch}, T, {Width}).");
        int t = k.Shape[1];
        if (Length + t > Capacity) throw new InvalidOperationException($"DeviceKvCache: {Length} + {t} positions exceed the capacity {Capacity}.");
        var kernels = device.Kernels;
        kernels.CopyInto(k, Keys, 1, Length);
        kernels.CopyInto(v, Values, 1, Length);
        Length += t;
        return (kernels.Slice(Keys, 1, 0, Length), kernels.Slice(Values, 1, 0, Length));
    }

    /// <summary>Forgets positions from <paramref name="length"/> on.</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length), $"DeviceKvCache: cannot truncate {Length} positions to {length}.");
        Length = length;
    }

    /// <summary>
    /// Fills this empty cache from <paramref name="source"/>: row b receives every position of source row <paramref name="rows"/>[b]
    /// (a prompt prefilled once, then shared by the rows that complete it), as the engine's KvCache.CopyRowsFrom.
    /// </summary>
    public void CopyRowsFrom(DeviceKvCache source, ReadOnlySpan<int> rows)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (rows.Length != Batch) throw new ArgumentException($"DeviceKvCache: {rows.Length} source rows for a batch of {Batch}.");
        if (source.Width != Width) throw new ArgumentException($"DeviceKvCache: source width {source.Width} differs from {Width}.");
        if (Length != 0) throw new InvalidOperationException($"DeviceKvCache: copying rows into a cache that already holds {Length} positions.");
        if (source.Length > Capacity) throw new ArgumentException($"DeviceKvCache: {source.Length} source positions exceed the capacity {Capacity}.");
        for (int b = 0; b < Batch; b++)
            if ((uint)rows[b] >= (uint)source.Batch) throw new ArgumentOutOfRangeException(nameof(rows), $"DeviceKvCache: source row {rows[b]} is outside its batch of {source.Batch}.");
        device.Kernels.CopyCacheRows(source.Keys, Keys, rows, source.Length);
        device.Kernels.CopyCacheRows(source.Values, Values, rows, source.Length);
        Length = source.Length;
    }

    /// <summary>Frees the keys and values.</summary>
    public void Dispose()
    {
        Keys.Dispose();
        Values.Dispose();
    }
}

public sealed partial class DeviceKernels
{
    /// <summary>dst[b, p, :] = src[rows[b], p, :] for positions p &lt; length (both (·, capacity, W), capacities may differ).</summary>
    internal void CopyCacheRows(DeviceBuffer src, DeviceBuffer dst, ReadOnlySpan<int> rows, int length)
    {
        RequireHere("CopyCacheRows", src);
        RequireHere("CopyCacheRows", dst);
        int n = dst.Shape[0] * length * dst.Shape[2];
        if (n == 0) return;
        var ids = UploadIndices(rows);
        Run(new CacheRowsOp(src.View, dst.View, ids.View.AsContiguous(), src.Shape[1], dst.Shape[1], dst.Shape[2], length), n);
        Finish(ids);
    }

    /// <summary>Index i of (B, length, W) copies source row rows[b]'s element at the same position.</summary>
    internal readonly struct CacheRowsOp(ArrayView<float> src, ArrayView<float> dst, ArrayView<int> rows, int srcCapacity, int dstCapacity, int width, int length) : IElementOp
    {
        private readonly ArrayView<float> src = src, dst = dst;
        private readonly ArrayView<int> rows = rows;
        private readonly int srcCapacity = srcCapacity, dstCapacity = dstCapacity, width = width, length = length;

        public void Apply(int i)
        {
            int w = i % width, t = i / width, p = t % length, b = t / length;
            dst[(b * dstCapacity + p) * width + w] = src[(rows[b] * srcCapacity + p) * width + w];
        }
    }
}
