// The rlhf task's domain: one-line product reviews from a seeded template grammar, and the hidden "gold" scorer that labels
// pairs of them. The gold rule rewards positive words with diminishing returns and penalises negative words, repeated
// adjectives and long reviews, so a reward model learned from its labels can be over-optimised (e.g. by piling up praise).
using System.Text.Json.Nodes;
using Rebel.Tensors;
using Rebel.Training.Data;
using Rebel.Training.Rewards;

namespace Rebel.Training.Tasks;

/// <summary>Prompts and supervised reviews of the rlhf task.</summary>
public static class ReviewTask
{
    /// <summary>Words the gold scorer likes.</summary>
    public static readonly string[] Positive = ["great", "good", "nice", "lovely", "solid"];

    /// <summary>Words the gold scorer dislikes.</summary>
    public static readonly string[] Negative = ["bad", "poor", "awful", "weak", "cheap"];

    /// <summary>Adjectives the gold scorer ignores.</summary>
    public static readonly string[] Neutral = ["small", "red", "new", "plain", "heavy"];

    private static readonly string[] Items = ["lamp", "chair", "phone", "bag", "kettle", "desk", "clock", "jacket", "mug", "bike"];
    private static readonly string[] Openings = ["Review of the {0}:", "Write about the {0}:", "Your opinion of the {0}:"];

    private delegate string Sentence(string item, Func<string> adjective);

    private static readonly Sentence[] Sentences =
    [
        (it, a) => $" The {it} is {a()}.",
        (it, a) => $" It is {a()} and {a()}.",
        (it, a) => $" I found it {a()}.",
        (it, a) => $" A {a()} {it}.",
        (it, a) => $" Very {a()}.",
    ];

    /// <summary>
    /// All item × opening prompts split by a seeded shuffle (<paramref name="heldOut"/> for evaluation, the rest for RL), and
    /// <paramref name="examples"/> supervised reviews of the training prompts: 1–3 sentences whose adjectives are drawn uniformly
    /// from all three lists, so the supervised model writes reviews of every sentiment.
    /// </summary>
    public static (List<PromptRecord> Train, List<PromptRecord> HeldOut, List<SftExample> Sft) Generate(ulong seed, int heldOut, int examples)
    {
        var rng = new Rng(seed);
        var prompts = new List<(string Text, string Item)>();
        foreach (var item in Items)
            foreach (var opening in Openings) prompts.Add((string.Format(System.Globalization.CultureInfo.InvariantCulture, opening, item), item));
        for (int i = prompts.Count - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (prompts[i], prompts[j]) = (prompts[j], prompts[i]);
        }
        if (heldOut <= 0 || heldOut >= prompts.Count) throw new ArgumentException($"ReviewTask: held-out size {heldOut} must be in 1..{prompts.Count - 1}.");
        string[] adjectives = [.. Positive, .. Negative, .. Neutral];
        var train = prompts.Skip(heldOut).ToList();
        var sft = new List<SftExample>(examples);
        for (int e = 0; e < examples; e++)
        {
            var (text, item) = train[rng.NextInt(train.Count)];
            int sentences = 1 + rng.NextInt(3);
            var review = string.Concat(Enumerable.Range(0, sentences).Select(_ => Sentences[rng.NextInt(Sentences.Length)](item, () => adjectives[rng.NextInt(adjectives.Length)])));
            sft.Add(new SftExample(text, review));
        }
        static PromptRecord Record((string Text, string Item) p, string source) => new(p.Text, new JsonObject { ["prompt"] = p.Text, ["item"] = p.Item }, source);
        return ([.. train.Select((p, i) => Record(p, $"train:{i + 1}"))], [.. prompts.Take(heldOut).Select((p, i) => Record(p, $"held-out:{i + 1}"))], sft);
    }
}

/// <summary>
/// The hidden gold scorer: gold = 2·(1 − e^(−distinct positive words / 2)) − (negative words) − ½·(adjectives used again)
/// − ¼·max(0, words − 12), and −1 for a review cut off without EOS. Diminishing returns on praise and the penalties are
/// what a reward model fitted to pairwise labels of supervised samples may not learn.
/// </summary>
public sealed class GoldReviewScorer : IReward
{
    private static readonly HashSet<string> PositiveWords = [.. ReviewTask.Positive], NegativeWords = [.. ReviewTask.Negative];
    private static readonly HashSet<string> Adjectives = [.. ReviewTask.Positive, .. ReviewTask.Negative, .. ReviewTask.Neutral];

    /// <inheritdoc/>
    public string Name => "gold";

    /// <inheritdoc/>
    public float[] Score(IReadOnlyList<RewardQuery> queries) => [.. queries.Select(q => q.EndedWithEos ? Gold(q.Completion) : -1f)];

    /// <summary>The gold score of one finished review.</summary>
    public static float Gold(string review)
    {
        var words = review.ToLowerInvariant().Split([' ', '.', ',', '!', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var seen = new HashSet<string>();
        int repeats = 0, negatives = 0;
        foreach (var w in words.Where(Adjectives.Contains))
        {
            if (!seen.Add(w)) repeats++;
            if (NegativeWords.Contains(w)) negatives++;
        }
        int positives = seen.Count(PositiveWords.Contains);
        return (float)(2 * (1 - Math.Exp(-positives / 2.0)) - negatives - 0.5 * repeats - 0.25 * Math.Max(0, words.Length - 12));
    }
}
