using Rebel.Models;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Training.Data;

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
}
