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

public class ModelBenchLimitsTests
{
    [Fact]
    public void SampleFlops_CountsTheBodyOverPromptsAndAllButTheLastTokenAndTheHeadOncePerNewToken()
    {
        // 1000 matrix parameters of which 100 in the head; 2 prompts of 3 tokens, 4 new tokens:
        // 2 · 2 · (3 · 900 + 4 · 100 + 3 · 900) = 23,200
        Assert.Equal(23_200, ModelBench.SampleFlops(1000, 100, 2, 3, 4));
    }

    [Fact]
    public void RunShape_ReturnsOneLineOfFiguresPerBenchWithSharesOfTheLimits()
    {
        var config = ModelBench.ReferenceConfig with { HiddenSize = 32, Layers = 1, Heads = 2, KvHeads = 2, IntermediateSize = 64, MaxPositions = 40 };
        var lines = ModelBench.RunShape(config, "test", trainSteps: 1, warmup: 0, sampleReps: 1, batch: 2, prompts: 2, newTokens: 4, bandwidthFloats: 1 << 16);
        var benches = lines.ToDictionary(f => f.Bench);
        Assert.Equal(["machine", "gemm_limit", "memory_limit", "train", "sample", "train_lora", "peak_memory"], benches.Keys);
        Assert.True(benches["train_lora"]["tokens_per_s"] > 0);
        Assert.Equal(Rebel.Tensors.Kernels.Gemm.ActivePath.ToString().ToLowerInvariant(), benches["machine"].Text("gemm_path"));
        var train = benches["train"];
        double tokens = train["tokens_per_s"], gflops = train["achieved_gflops"];
        Assert.True(tokens > 0);
        long matmul = ModelBench.MatmulParameterCount(ModelFactory.Create(config));
        // tied head + attention and MLP matrices + their biases + three LayerNorms (the learned positions excluded)
        Assert.Equal(512L * 32 + 4 * 32 * 32 + 2 * 32 * 64 + (3 * 32 + 32 + 64 + 32) + 3 * 2 * 32, matmul);
        Assert.Equal(6.0 * matmul * tokens / 1e9, gflops, 0.01);
        Assert.Equal(gflops / benches["gemm_limit"]["gflops"], train["share_of_gemm"], 0.01);
        var sample = benches["sample"];
        Assert.True(sample["share_of_bandwidth"] > 0);
        double sampleSeconds = 2 * 4 / sample["tokens_per_s"]; // 2 prompts × 4 new tokens
        Assert.Equal(ModelBench.SampleFlops(matmul, 512L * 32, 2, 16, 4) / sampleSeconds / 1e9, sample["achieved_gflops"], 0.01);
        Assert.Equal(sample["achieved_gflops"] / benches["gemm_limit"]["gflops"], sample["share_of_gemm"], 0.01);
        Assert.True(benches["peak_memory"]["tensor_peak_mb"] > 0);
    }
}
