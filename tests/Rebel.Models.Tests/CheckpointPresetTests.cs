// Checkpoint-shape presets (parameter counts as published for the real checkpoints) and the synthetic tokenizer of `rebel init`.
using Rebel.Models.IO;
using Rebel.Models.Pretrained;
using Rebel.Models.Tokenization;

namespace Rebel.Models.Tests;

public class CheckpointPresetTests
{
    // Parameter counts of the real checkpoints (the sum of their safetensors shapes; a tied head counted once).
    [Theory]
    [InlineData("gpt2-124m", 124_439_808L)]
    [InlineData("pythia-160m", 162_322_944L)]
    [InlineData("smollm2-135m", 134_515_008L)]
    public void Preset_HasTheCheckpointsParameterCount(string name, long expected) =>
        Assert.Equal(expected, ModelFactory.Create(ModelConfig.Preset(name)).ParameterCount);

    [Fact]
    public void EveryPreset_RoundTripsThroughConfigJson()
    {
        foreach (var name in ModelConfig.CheckpointPresetNames)
        {
            var config = ModelConfig.Preset(name);
            config.Validate(name);
            var read = HfModelConfig.FromHf(HfConfig.Parse(HfModelConfig.ToHf(config).ToJson()));
            Assert.Equal(config with { EosTokenIds = [] }, read with { EosTokenIds = [] });
            Assert.Equal(config.EosTokenIds, read.EosTokenIds);
        }
    }

    [Fact]
    public void Qwen25AndLlama32_HaveTheirConfigValues()
    {
        var q = ModelConfig.Preset("qwen2.5-0.5b");
        Assert.Equal((151936, 896, 24, 14, 2, 4864, 1e6, true, true), (q.VocabSize, q.HiddenSize, q.Layers, q.Heads, q.KvHeads, q.IntermediateSize, q.RopeTheta, q.AttentionBias, q.TieWordEmbeddings));
        var l = ModelConfig.Preset("llama-3.2-1b");
        Assert.Equal((128256, 2048, 16, 32, 8, 8192, 5e5, 64), (l.VocabSize, l.HiddenSize, l.Layers, l.Heads, l.KvHeads, l.IntermediateSize, l.RopeTheta, l.HeadDim));
        Assert.Equal(new Tensors.Llama3RopeScaling(32f, 1f, 4f, 8192), l.RopeScaling);
        Assert.Throws<ArgumentException>(() => ModelConfig.Preset("gpt5"));
    }

    [Theory]
    [InlineData(257, 0)]
    [InlineData(1000, 999)]
    [InlineData(50257, 50256)]
    public void SyntheticTokenizer_HasExactlyTheVocabularyAndRoundTripsText(int vocab, int special)
    {
        var tokenizer = BpeTokenizer.FromJson(BpeTrainer.Synthetic(vocab, special).ToJson().ToJsonString());
        Assert.Equal(vocab, tokenizer.VocabSize);
        Assert.Equal("<|endoftext|>", tokenizer.IdToToken(special));
        const string text = "Hello, wörld! 123 <|endoftext|> tabs\tand\nnewlines";
        var ids = tokenizer.Encode(text, addSpecialTokens: false);
        Assert.All(ids, id => Assert.InRange(id, 0, vocab - 1));
        Assert.Contains(special, ids);
        Assert.Equal(text, tokenizer.Decode(ids));
        if (vocab > 10_000) Assert.True(ids.Length < System.Text.Encoding.UTF8.GetByteCount(text), "merges should shorten the byte sequence");
    }
}
