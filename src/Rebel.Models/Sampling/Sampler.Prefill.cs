// The first step of generation: each distinct prompt's tokens run through the model once (left-padded to the longest),
// and the rows that repeat a prompt receive copies of its cached keys and values instead of a prefill of their own.
using Rebel.Tensors;

namespace Rebel.Models.Sampling;

public static partial class Sampler
{
    /// <summary>
    /// For each prompt, its index among the distinct prompts (numbered in order of first appearance): equal prompts share one.
    /// </summary>
    internal static int[] DistinctRows(IReadOnlyList<int[]> prompts)
    {
        var rowOf = new int[prompts.Count];
        var seen = new Dictionary<int[], int>(SequenceComparer.Instance);
        for (int b = 0; b < prompts.Count; b++)
        {
            if (!seen.TryGetValue(prompts[b], out int r)) seen.Add(prompts[b], r = seen.Count);
            rowOf[b] = r;
        }
        return rowOf;
    }

    /// <summary>
    /// Runs the prompts' tokens (left-padded to <paramref name="maxLen"/>) through the model, one row per distinct prompt
    /// (row <paramref name="rowOf"/>[b] holds prompt b), fills <paramref name="cache"/> for every prompt, and returns the
    /// next-token logits (distinct rows, 1, V).
    /// </summary>
    private static Tensor Prefill(LanguageModel model, IReadOnlyList<int[]> prompts, int[] rowOf, int maxLen, int pad, KvCache[] cache)
    {
        var hidden = PrefillHidden(model, prompts, rowOf, maxLen, pad, cache); // (rows, T, C)
        var last = maxLen == 1 ? hidden : Ops.Slice(hidden, 1, maxLen - 1, 1); // (rows, 1, C)
        return model.Logits(last);
    }

    /// <summary>
    /// The body of <see cref="Prefill"/>: fills <paramref name="cache"/> (one row per prompt) with each distinct prompt run
    /// once, and returns the distinct rows' hidden states (distinct rows, <paramref name="maxLen"/>, C).
    /// </summary>
    private static Tensor PrefillHidden(LanguageModel model, IReadOnlyList<int[]> prompts, int[] rowOf, int maxLen, int pad, KvCache[] cache)
    {
        int rows = rowOf.Length == 0 ? 0 : rowOf.Max() + 1;
        var first = new int[rows];
        for (int b = rowOf.Length - 1; b >= 0; b--) first[rowOf[b]] = b;
        var ids = new int[rows * maxLen];
        var keyStart = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            var prompt = prompts[first[r]];
            keyStart[r] = maxLen - prompt.Length;
            ids.AsSpan(r * maxLen, keyStart[r]).Fill(pad);
            prompt.CopyTo(ids.AsSpan(r * maxLen + keyStart[r]));
        }
        bool shared = rows < rowOf.Length;
        var prefillCache = shared ? model.CreateCache(rows, maxLen) : cache;
        var hidden = model.ForwardHidden(ids, rows, maxLen, keyStart, prefillCache); // (rows, T, C)
        if (shared)
            for (int l = 0; l < cache.Length; l++) cache[l].CopyRowsFrom(prefillCache[l], rowOf);
        return hidden;
    }

    /// <summary>Compares token sequences by content.</summary>
    private sealed class SequenceComparer : IEqualityComparer<int[]>
    {
        public static readonly SequenceComparer Instance = new();

        public bool Equals(int[]? x, int[]? y) => ReferenceEquals(x, y) || x is not null && y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(obj.AsSpan()));
            return hash.ToHashCode();
        }
    }
}
