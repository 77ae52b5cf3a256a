// Buffer reuse: tensors created inside a TensorScope take their arrays from a per-thread pool keyed by exact
// length and give them back when the scope ends, so a steady training step allocates no new float arrays.
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
            if (!p.TryGetValue(buffer.Length, out var stack)) p[buffer.Length] = stack = new Stack<float[]>();
            stack.Push(buffer);
        }
        rented.Clear();
    }

    private static Dictionary<int, Stack<float[]>> Pool => pool ??= [];

    /// <summary>An array of exactly <paramref name="length"/> floats: pooled inside a scope, fresh outside one.</summary>
    internal static float[] Rent(int length, bool clear)
    {
        var scope = current;
        if (scope is null || length == 0) return new float[length];
        float[] buffer;
        if (Pool.TryGetValue(length, out var stack) && stack.Count > 0)
        {
            buffer = stack.Pop();
            if (clear) Array.Clear(buffer);
        }
        else
        {
            buffer = new float[length];
        }
        scope.rented.Add(buffer);
        return buffer;
    }

    internal static float[] RentCleared(int length) => Rent(length, clear: true);

    internal static Tensor Allocate(int[] shape, bool clear)
    {
        var copy = (int[])shape.Clone();
        return new Tensor(copy, Rent(Tensor.ShapeSize(copy), clear), 0, isParameter: false);
    }

    /// <summary>Drops every pooled buffer of this thread (for tests and memory-sensitive callers).</summary>
    public static void TrimPool() => pool?.Clear();
}
