// Buffer reuse: tensors created inside a TensorScope take their arrays from a per-thread pool and give them back
// when the scope ends, so a steady training step allocates no new float arrays. Lengths are rounded up to size
// classes (at most 1/8 wasted) so batches of varying shapes share buffers, and the pool holds at most 256 MiB.
namespace Rebel.Tensors;

/// <summary>
/// Marks a region (one training or sampling step) whose intermediate tensors are reclaimed on <see cref="Dispose"/>.
/// Tensors made inside must not be used after the scope ends: copy out what you keep (<see cref="Tensor.Clone"/>, <see cref="Tensor.Item"/>).
/// Parameters and tensors made outside any scope are ordinary garbage-collected arrays. Scopes nest.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? current;
    [ThreadStatic] private static Dictionary<int, Stack<float[]>>? pool;
    [ThreadStatic] private static long pooledFloats;

    /// <summary>Most floats the pool of one thread keeps (256 MiB); buffers returned beyond it are left to the GC.</summary>
    public const long MaxPooledFloats = 64L << 20;

    private readonly TensorScope? parent;
    private readonly List<float[]> rented = [];
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
        var p = Pool;
        foreach (var buffer in rented)
        {
            if (pooledFloats + buffer.Length > MaxPooledFloats) continue;
            if (!p.TryGetValue(buffer.Length, out var stack)) p[buffer.Length] = stack = new Stack<float[]>();
            stack.Push(buffer);
            pooledFloats += buffer.Length;
        }
        rented.Clear();
    }

    private static Dictionary<int, Stack<float[]>> Pool => pool ??= [];

    /// <summary>
    /// An array of at least <paramref name="length"/> floats (the first <paramref name="length"/> cleared when asked): pooled and
    /// rounded up to a size class inside a scope, exactly <paramref name="length"/> long outside one.
    /// </summary>
    internal static float[] Rent(int length, bool clear)
    {
        var scope = current;
        if (scope is null || length == 0) return new float[length];
        int size = SizeClass(length);
        float[] buffer;
        if (Pool.TryGetValue(size, out var stack) && stack.Count > 0)
        {
            buffer = stack.Pop();
            pooledFloats -= buffer.Length;
            if (clear) Array.Clear(buffer, 0, length);
        }
        else
        {
            buffer = new float[size];
        }
        scope.rented.Add(buffer);
        return buffer;
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
        return new Tensor(copy, Rent(Tensor.ShapeSize(copy), clear), 0, isParameter: false);
    }

    /// <summary>Drops every pooled buffer of this thread (for tests and memory-sensitive callers).</summary>
    public static void TrimPool()
    {
        pool?.Clear();
        pooledFloats = 0;
    }
}
