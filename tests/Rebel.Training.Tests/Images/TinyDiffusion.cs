using Rebel.Models.Diffusion;
using Rebel.Tensors;
using Rebel.Training.Images.Data;
using Rebel.Training.Images.Quality;
using Rebel.Training.Images.Rewards;

namespace Rebel.Training.Tests.Images;

/// <summary>Tiny DiT settings for fast trainer tests: 8×8 images, 4 tokens of 4×4 patches, width 16, one block.</summary>
internal static class TinyDiffusion
{
    public const int Size = 8;

    public static DitConfig Config => ImageConditions.Config(Size) with { PatchSize = 4, HiddenSize = 16, Layers = 1, Heads = 2 };

    public static DitModel Model(ulong seed = 1)
    {
        var model = new DitModel(Config);
        model.Initialize(new Rng(seed));
        return model;
    }

    public static List<string> Captions => [.. ShapeAttributes.All.Select(a => a.Caption)];

    /// <summary>Mean brightness of the image in [−1, 1]: a smooth reward the policy can raise within a few iterations.</summary>
    public sealed class Brightness : IImageReward
    {
        public string Name => "brightness";

        public float[] Score(IReadOnlyList<float[]> images, IReadOnlyList<string> prompts, int size) => [.. images.Select(i => i.Average())];
    }

    /// <summary>Mean brightness of samples from fixed seeds (the same noise before and after training).</summary>
    public static double HeldOutBrightness(DitModel model, DdimOptions sampler)
    {
        var (captions, seeds) = ImageSampling.Grid([.. Captions.Take(8)], 8, 5_000);
        return ImageSampling.Sample(model, sampler, captions, seeds).Average(i => i.Average());
    }
}
