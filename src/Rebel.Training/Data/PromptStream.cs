// The order prompts are drawn in: passes over the dataset, each a permutation fixed by the seed and the pass number,
// so a resumed run needs only the cursor.
using Rebel.Tensors;

namespace Rebel.Training.Data;

/// <summary>Draws prompts batch after batch in a seeded, resumable order.</summary>
public sealed class PromptStream(IReadOnlyList<PromptRecord> prompts, ulong seed)
{
    private long orderEpoch = -1;
    private int[] order = [];

    /// <summary>Prompts drawn so far (saved in checkpoints).</summary>
    public long Cursor { get; set; }

    /// <summary>The next <paramref name="count"/> prompts.</summary>
    public List<PromptRecord> Next(int count)
    {
        var batch = new List<PromptRecord>(count);
        for (int i = 0; i < count; i++, Cursor++)
        {
            long epoch = Cursor / prompts.Count;
            int pos = (int)(Cursor % prompts.Count);
            batch.Add(prompts[DataOrder(epoch)[pos]]);
        }
        return batch;
    }

    private int[] DataOrder(long epoch)
    {
        if (epoch == orderEpoch) return order;
        var r = new Rng(seed * 0x9E3779B97F4A7C15UL + (ulong)epoch);
        order = Enumerable.Range(0, prompts.Count).ToArray();
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = r.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        orderEpoch = epoch;
        return order;
    }
}
