// Buffer reuse: tensors created inside a TensorScope take their arrays from a per-thread pool and give them back
// when the scope ends, so a steady training step allocates no new float arrays. Lengths are rounded up to size
// classes (at most 1/8 wasted) so batches of varying shapes share buffers. The pool plus the buffers in use stay under twice
// the most this thread's scopes ever held at once (no fixed cap, so a real-size step finds all its buffers again): beyond it the least recently used size classes
// go to the GC, so buffers of a phase that has passed (sampling's shapes during the update) do not pile up. The slack of two
// lets a repeated step find all its buffers although gradients released during Backward return to the pool mid-step.
namespace Rebel.Tensors;

/// <summary>
/// Marks a region (one training or sampling step) whose intermediate tensors are reclaimed on <see cref="Dispose"/>.
/// Tensors made inside must not be used after the scope ends: copy out what you keep (<see cref="Tensor.Clone"/>, <see cref="Tensor.Item"/>).
/// Parameters and tensors made outside any scope are ordinary garbage-collected arrays. Scopes nest.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? current;
    [ThreadStatic] private static Dictionary<int, SizeClassBuffers>? pool;
    [ThreadStatic] private static long pooledFloats, heldFloats, heldPeak, rents;

    private readonly TensorScope? parent;
    private readonly List<float[]> rented = [];
    private List<DeviceStorage>? deviceRented; // buffers of accelerators rented in this scope
    private long rentedFloats;
    private bool disposed;

    /// <summary>Opens a scope on the current thread.</summary>
    public TensorScope()
    {
        parent = current;
        current = this;
    }

    /// <summary>True when a scope is open on this thread.</summary>
    public static bool IsActive => current is not null;

    /// <summary>Returns every buffer rented inside this scope to the pool.</summary>
    public void Dispose()
    {
        if (disposed) return;
        if (current != this) throw new InvalidOperationException("TensorScope: scopes must be disposed in reverse order of creation.");
        disposed = true;
        current = parent;
        TensorMemory.Add(-rentedFloats * sizeof(float));
        heldFloats -= rentedFloats;
        rentedFloats = 0;
        foreach (var buffer in rented) Return(buffer);
        rented.Clear();
        if (deviceRented is not null)
        {
            foreach (var storage in deviceRented) storage.Device.Return(storage);
            deviceRented.Clear();
        }
    }

    /// <summary>
    /// A buffer of at least <paramref name="length"/> floats on <paramref name="device"/>: from the device's pool and given back
    /// when the open scope ends, or unpooled (freed when collected) outside any scope.
    /// </summary>
    internal static DeviceStorage RentDevice(TensorDevice device, int length, bool clear)
    {
        var scope = current;
        if (scope is null)
        {
            var own = device.AllocateStorage(Math.Max(length, 1));
            if (clear) own.Clear(length);
            return own;
        }
        if (scope.disposed) throw new InvalidOperationException("TensorScope: renting into a scope that has ended.");
        var storage = device.Rent(length, clear);
        (scope.deviceRented ??= []).Add(storage);
        return storage;
    }

    /// <summary>Gives a device buffer back to its pool before the scope ends when the open scope rented it.</summary>
    internal static void ReleaseDevice(DeviceStorage storage)
    {
        var scope = current;
        int i = scope?.deviceRented?.LastIndexOf(storage) ?? -1;
        if (i < 0) return;
        scope!.deviceRented!.RemoveAt(i);
        storage.Device.Return(storage);
    }

    private static Dictionary<int, SizeClassBuffers> Pool => pool ??= [];

    /// <summary>Floats this thread's pool holds now (free buffers, not counted in <see cref="TensorMemory"/>).</summary>
    public static long PooledFloats => pooledFloats;

    // Pools a buffer if it fits under the limit once older size classes are evicted; else leaves it to the GC. The limit scales with
    // the step (a fixed cap made every buffer of a 124M-parameter step beyond it fresh: 28 000 page faults and 117 MB allocated per step).
    private static void Return(float[] buffer)
    {
        long limit = 2 * heldPeak - heldFloats;
        if (buffer.Length > limit) return;
        var p = Pool;
        if (!p.TryGetValue(buffer.Length, out var own)) p[buffer.Length] = own = new SizeClassBuffers();
        while (pooledFloats + buffer.Length > limit)
        {
            var oldest = own;
            foreach (var c in p.Values)
                if (c.Free.Count > 0 && c.LastUse < oldest.LastUse) oldest = c;
            if (oldest == own) return;
            foreach (var dropped in oldest.Free) pooledFloats -= dropped.Length;
            oldest.Free.Clear();
        }
        own.Free.Push(buffer);
        pooledFloats += buffer.Length;
    }

    private sealed class SizeClassBuffers
    {
        public readonly Stack<float[]> Free = new();
        public long LastUse;
    }

    /// <summary>
    /// An array of at least <paramref name="length"/> floats (the first <paramref name="length"/> cleared when asked): pooled and
    /// rounded up to a size class inside a scope, exactly <paramref name="length"/> long outside one.
    /// </summary>
    internal static float[] Rent(int length, bool clear) => RentInto(current, length, clear);

    /// <summary>The innermost open scope on this thread, or null.</summary>
    internal static TensorScope? Current => current;

    /// <summary>As <see cref="Rent"/>, into <paramref name="scope"/> (an open scope of this thread, e.g. an enclosing one), or unpooled when null.</summary>
    internal static float[] RentInto(TensorScope? scope, int length, bool clear)
    {
        if (scope is null || length == 0) return new float[length];
        if (scope.disposed) throw new InvalidOperationException("TensorScope: renting into a scope that has ended.");
        int size = SizeClass(length);
        float[] buffer;
        if (!Pool.TryGetValue(size, out var sizeClass)) pool![size] = sizeClass = new SizeClassBuffers();
        sizeClass.LastUse = ++rents;
        if (sizeClass.Free.Count > 0)
        {
            buffer = sizeClass.Free.Pop();
            pooledFloats -= buffer.Length;
            if (clear) Array.Clear(buffer, 0, length);
        }
        else
        {
            buffer = new float[size];
        }
        scope.rented.Add(buffer);
        scope.rentedFloats += buffer.Length;
        heldFloats += buffer.Length;
        heldPeak = Math.Max(heldPeak, heldFloats);
        TensorMemory.Add((long)buffer.Length * sizeof(float));
        return buffer;
    }

    /// <summary>
    /// Runs one layer of a forward pass. Without gradient (sampling, scoring) it runs in a scope of its own, so its intermediates go
    /// back to the pool as soon as it returns and the next layer reuses them; only the output moves to the enclosing scope. With
    /// gradient (the backward pass needs the intermediates), or outside any scope, it just runs.
    /// </summary>
    public static Tensor Layer(Tensor x, Func<Tensor, Tensor> layer)
    {
        if (current is null || Autograd.IsGradEnabled) return layer(x);
        using var scope = new TensorScope();
        var y = layer(x);
        return scope.MoveToParent(y) ? y : y.Clone();
    }

    /// <summary>Gives <paramref name="buffer"/> back to the pool before the scope ends when the open scope rented it (else leaves it to the scope or the GC).</summary>
    internal static void Release(float[] buffer)
    {
        var scope = current;
        int i = scope?.rented.LastIndexOf(buffer) ?? -1;
        if (i < 0) return;
        scope!.rented.RemoveAt(i);
        scope.rentedFloats -= buffer.Length;
        heldFloats -= buffer.Length;
        TensorMemory.Add(-(long)buffer.Length * sizeof(float));
        Return(buffer);
    }

    // Hands the buffer of a tensor rented in this scope (the last one rented, typically) to the enclosing scope; false when not rented here.
    private bool MoveToParent(Tensor t)
    {
        if (t.IsOnDevice)
        {
            int j = deviceRented?.LastIndexOf(t.Storage) ?? -1;
            if (j < 0 || parent is null) return false;
            deviceRented!.RemoveAt(j);
            (parent.deviceRented ??= []).Add(t.Storage);
            return true;
        }
        int i = rented.LastIndexOf(t.Data);
        if (i < 0 || parent is null) return false;
        rented.RemoveAt(i);
        rentedFloats -= t.Data.Length;
        parent.rented.Add(t.Data);
        parent.rentedFloats += t.Data.Length;
        return true;
    }

    internal static float[] RentCleared(int length) => Rent(length, clear: true);

    /// <summary>Rounds up to the next multiple of an eighth of the largest power of two not above the length.</summary>
    internal static int SizeClass(int length)
    {
        if (length <= 64) return length;
        int step = (int)(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length + 1) >> 4);
        long rounded = (length + (long)step - 1) / step * step;
        return (int)Math.Min(rounded, Array.MaxLength);
    }

    internal static Tensor Allocate(int[] shape, bool clear)
    {
        var copy = (int[])shape.Clone();
        return new Tensor(copy, Rent(Tensor.ShapeSize(copy), clear), 0, isParameter: false, counted: current is null);
    }

    /// <summary>Drops every pooled buffer of this thread (for tests and memory-sensitive callers).</summary>
    public static void TrimPool()
    {
        pool?.Clear();
        pooledFloats = 0;
    }
}
