using Rebel.Models;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Training.Data;
using Rebel.Training.Rewards;

namespace Rebel.Training.Tests;

/// <summary>Tiny models, tokenizers and prompt sets for fast trainer tests.</summary>
internal static class TinySetup
{
    public static BpeTokenizer Tokenizer() =>
        BpeTrainer.Train(Enumerable.Range(0, 40).Select(i => $"say {i % 7} letters: abab cdcd {i}"), 280, ["<|endoftext|>"]);

    public static LanguageModel Model(BpeTokenizer tokenizer, ulong seed = 3)
    {
        int eos = tokenizer.EosTokenId!.Value;
        var config = new ModelConfig
        {
            Architecture = ModelArchitecture.Gpt2, VocabSize = tokenizer.VocabSize, HiddenSize = 32, Layers = 2, Heads = 2, KvHeads = 2,
            IntermediateSize = 64, MaxPositions = 48, EosTokenIds = [eos], PadTokenId = eos,
        };
        return ModelFactory.Create(config, new Rng(seed));
    }

    public static List<PromptRecord> Prompts(int n) =>
        [.. Enumerable.Range(0, n).Select(i => PromptDataset.Parse($"{{\"prompt\": \"say {i % 7} letters:\", \"answer\": \"{i % 7}\"}}", $"test:{i + 1}"))];

    /// <summary>Fraction of 'a' characters in the completion: a dense reward a random tiny model can climb quickly.</summary>
    public sealed class LetterReward : IReward
    {
        public string Name => "letter-a";

        public float[] Score(IReadOnlyList<RewardQuery> queries) =>
            [.. queries.Select(q => q.Completion.Length == 0 ? 0f : q.Completion.Count(c => c == 'a') / (float)q.Completion.Length)];
    }

    /// <summary>Mean score of the last five iterations minus that of the first five.</summary>
    public static (double First, double Last) ScoreTrend(Reporting.MetricsLog metrics)
    {
        var scores = metrics.Rows.Select(r => r["objective/scores"]).ToArray();
        return (scores.Take(5).Average(), scores.TakeLast(5).Average());
    }
}
