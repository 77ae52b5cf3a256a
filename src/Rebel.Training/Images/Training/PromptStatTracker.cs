// DDPO's per-prompt reward statistics: the last N rewards of each prompt; a reward is standardised by its prompt's running
// mean and std once the prompt has enough history, else by the current batch's.
using System.Text.Json.Nodes;

namespace Rebel.Training.Images.Training;

/// <summary>Running per-prompt mean and standard deviation of rewards.</summary>
public sealed class PromptStatTracker(int bufferSize, int minCount)
{
    private readonly Dictionary<string, Queue<float>> history = new(StringComparer.Ordinal);

    /// <summary>
    /// Adds <paramref name="rewards"/> of <paramref name="prompts"/> to the history, then returns (r − mean)/(std + 1e-6) per reward,
    /// with the prompt's statistics over its kept history (or the batch's while it has fewer than the minimum count).
    /// </summary>
    public float[] Standardize(IReadOnlyList<string> prompts, IReadOnlyList<float> rewards)
    {
        if (prompts.Count != rewards.Count) throw new ArgumentException($"PromptStatTracker: {prompts.Count} prompts for {rewards.Count} rewards.");
        var (batchMean, batchStd) = Moments(rewards);
        foreach (var (p, r) in prompts.Zip(rewards))
        {
            if (!history.TryGetValue(p, out var q)) history[p] = q = new Queue<float>();
            q.Enqueue(r);
            while (q.Count > bufferSize) q.Dequeue();
        }
        var result = new float[rewards.Count];
        for (int i = 0; i < result.Length; i++)
        {
            var q = history[prompts[i]];
            var (mean, std) = q.Count < minCount ? (batchMean, batchStd) : Moments([.. q]);
            result[i] = (float)((rewards[i] - mean) / (std + 1e-6));
        }
        return result;
    }

    private static (double Mean, double Std) Moments(IReadOnlyList<float> v)
    {
        double mean = v.Average(x => (double)x);
        return (mean, Math.Sqrt(v.Average(x => (x - mean) * (x - mean))));
    }

    /// <summary>The history as JSON (for checkpoints).</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject();
        foreach (var (p, q) in history) o[p] = new JsonArray([.. q.Select(r => (JsonNode)JsonValue.Create(r))]);
        return o;
    }

    /// <summary>Replaces the history with one written by <see cref="ToJson"/>.</summary>
    public void Restore(JsonObject json)
    {
        history.Clear();
        foreach (var (p, values) in json) history[p] = new Queue<float>(values!.AsArray().Select(n => n!.GetValue<float>()));
    }
}
