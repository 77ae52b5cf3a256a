// Weights packed once into column panels for the decode steps of one generation. A decode step multiplies a few rows (one per
// sequence) by every weight of the model, and the weights do not change until the generation ends, so each float32 weight that
// Linear or Conv1D meets in a few-row product is packed on first use (Gemm.PackColumnPanels: a copy of 32-column strips for
// GPT-2's Conv1D layout, whose in-place path walks a strided strip, one page per row; an 8×8-block transpose for nn.Linear's)
// and the packed copy serves every later step. The copies are rented from the enclosing TensorScope's pool, so a training loop's
// next generation packs into the same pages instead of faulting in fresh ones (measured on Qwen2.5-0.5B, 16 rows: packing into
// fresh pages every call spent a fifth of the call in the kernel zeroing pages and was slower than not packing; reused, 30 %
// faster). The cost is one more float per weight element while the pool holds them.
using Rebel.Tensors.Kernels;

namespace Rebel.Tensors;

/// <summary>
/// While open on a thread, few-row products of <see cref="Ops.Linear"/> and <see cref="Ops.Conv1D"/> on that thread read their
/// float32 weights from column panels packed once (<see cref="Gemm.PackColumnPanels"/>). The weights must not change while it is
/// open (a sampler's decode loop). bf16-held weights keep their own path.
/// </summary>
public sealed class WeightPanels : IDisposable
{
    [ThreadStatic] private static WeightPanels? current;
    private readonly WeightPanels? outer;
    private readonly TensorScope? owner; // the scope open at Begin: the packed copies are rented into it and go back to its pool at its end
    private readonly Dictionary<(Tensor Weight, bool TransB), float[]> packed = [];
    private bool disposed;

    private WeightPanels()
    {
        owner = TensorScope.Current;
        outer = current;
        current = this;
    }

    /// <summary>
    /// Fewest rows for which an nn.Linear weight is packed: below one 8-row block a decode step is bound by reading the weight,
    /// which its own rows already stream in order, so the transpose would cost a generation time and memory for nothing.
    /// </summary>
    public const int MinLinearRows = 8;

    /// <summary>
    /// Opens a scope on this thread; dispose it before the weights change, and before any <see cref="TensorScope"/> open at Begin
    /// ends. Inside such a scope the packed copies are
    /// rented from its pool (and return to it when that scope ends, so the next generation reuses them); outside one they are
    /// ordinary arrays.
    /// </summary>
    public static WeightPanels Begin() => new();

    /// <summary>Bytes of the packed copies this scope holds.</summary>
    public long Bytes { get; private set; }

    /// <summary>Weights packed so far.</summary>
    public int Count => packed.Count;

    /// <summary>The packed copies (for tests).</summary>
    internal IEnumerable<float[]> Buffers => packed.Values;

    /// <summary>
    /// The panels of <paramref name="weight"/> as the right operand op(W) (k, n) of a product with <paramref name="rows"/> rows,
    /// packed now if this is its first such product; null when no scope is open, the product has too many rows for the panel
    /// path (or, for an nn.Linear weight, fewer than <see cref="MinLinearRows"/>), or the weight is held in bf16.
    /// </summary>
    internal static float[]? For(Tensor weight, int rows, int k, int n, bool transB)
    {
        var scope = current;
        if (scope is null || weight.IsBf16 || !Gemm.ColumnPanelsApply(rows) || transB && rows < MinLinearRows) return null;
        if (!scope.packed.TryGetValue((weight, transB), out var panels))
        {
            long length = Gemm.ColumnPanelsLength(k, n);
            if (length > Array.MaxLength) return null;
            panels = TensorScope.RentInto(scope.owner, (int)length, clear: false);
            Gemm.PackColumnPanels(weight.Span, k, n, transB, panels);
            scope.packed[(weight, transB)] = panels;
            scope.Bytes += length * sizeof(float);
            if (scope.owner is null) TensorMemory.Add(length * sizeof(float)); // rented buffers are counted by their scope
        }
        return panels;
    }

    /// <summary>Closes the scope and drops its packed copies.</summary>
    public void Dispose()
    {
        if (disposed) return;
        if (current != this) throw new InvalidOperationException("WeightPanels: scopes must be disposed in the reverse order of Begin, on the thread that began them.");
        disposed = true;
        current = outer;
        if (owner is null) TensorMemory.Add(-Bytes);
        packed.Clear();
    }
}
