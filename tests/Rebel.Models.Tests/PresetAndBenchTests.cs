// Preset sizes and the quick bench's output format.

namespace Rebel.Models.Tests;

public class PresetAndBenchTests
{
    [Theory]
    [InlineData("tiny", 0.9e6, 1.3e6)]
    [InlineData("small", 9e6, 12e6)]
    public void Presets_HaveTheAdvertisedSizeAtA2kVocabulary(string name, double min, double max)
    {
        long n = ModelFactory.Create(ModelConfig.Preset(name, 2048)).ParameterCount;
        Assert.InRange(n, min, max);
    }

    [Fact]
    public void ReferenceConfig_IsTheTorchBaselineModel()
    {
        var c = ModelBench.ReferenceConfig;
        Assert.Equal((ModelArchitecture.Gpt2, 4, 256, 4, 128, 512, 1024), (c.Architecture, c.Layers, c.HiddenSize, c.Heads, c.MaxPositions, c.VocabSize, c.IntermediateSize));
    }

    [Fact]
    public void Run_ReturnsPositiveFigures()
    {
        var config = ModelBench.ReferenceConfig with { HiddenSize = 32, Layers = 1, Heads = 2, KvHeads = 2, IntermediateSize = 64, MaxPositions = 80 };
        var lines = ModelBench.Run(trainSteps: 1, warmup: 0, sampleReps: 1, config);
        var benches = lines.ToDictionary(f => f.Bench);
        Assert.True(benches["train"]["tokens_per_s"] > 0);
        Assert.True(benches["sample"]["tokens_per_s"] > 0);
        Assert.True(benches["train_peak_mb"]["mb"] > 0);
    }
}
