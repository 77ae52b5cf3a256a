// Rewards for generated images: compressibility and incompressibility (the size of the PNG encoding, as DDPO uses the JPEG size)
// and prompt alignment (how surely the shape classifier reads the caption's attributes in the image).
namespace Rebel.Training.Images;

/// <summary>
/// r = −(PNG size in kB), kB = 1000 bytes. DDPO's compressibility reward is the negative JPEG size (quality 95) in kB; we use the
/// lossless PNG/deflate size of the image as 8-bit RGB (<see cref="Png.Encode"/>), so flat images with few colours score highest.
/// </summary>
public sealed class CompressibilityReward : IImageReward
{
    /// <inheritdoc />
    public string Name => "compressibility";

    /// <inheritdoc />
    public float[] Score(IReadOnlyList<float[]> images, IReadOnlyList<string> prompts, int size) =>
        [.. PngKilobytes(images, prompts, size).Select(kb => -kb)];

    /// <summary>The PNG size in kB (1000 bytes) of each image after conversion to 8-bit RGB.</summary>
    internal static float[] PngKilobytes(IReadOnlyList<float[]> images, IReadOnlyList<string> prompts, int size)
    {
        ImageRewardChecks.Batch(images, prompts, size);
        return [.. images.Select(i => ShapesDataset.ToPng(i, size).Length / 1000f)];
    }
}

/// <summary>r = +(PNG size in kB): DDPO's incompressibility reward with PNG/deflate in place of JPEG (see <see cref="CompressibilityReward"/>).</summary>
public sealed class IncompressibilityReward : IImageReward
{
    /// <inheritdoc />
    public string Name => "incompressibility";

    /// <inheritdoc />
    public float[] Score(IReadOnlyList<float[]> images, IReadOnlyList<string> prompts, int size) =>
        CompressibilityReward.PngKilobytes(images, prompts, size);
}

/// <summary>
/// r = P(shape)·P(colour)·P(background) of the prompt's attributes under a <see cref="ShapeClassifier"/> trained on the built-in
/// set (<see cref="ShapeClassifier.AlignmentProbabilities"/>), in [0, 1]. For evaluation, <see cref="Accuracy"/> is the share of
/// images whose three attributes the classifier reads (argmax) as the prompt's.
/// </summary>
public sealed class PromptAlignmentReward(ShapeClassifier classifier) : IImageReward
{
    private readonly ShapeClassifier classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));

    /// <inheritdoc />
    public string Name => "alignment";

    /// <inheritdoc />
    public float[] Score(IReadOnlyList<float[]> images, IReadOnlyList<string> prompts, int size) =>
        [.. classifier.AlignmentProbabilities(images, Targets(images, prompts, size)).Select(p => (float)p)];

    /// <summary>Share (0..1; ×100 for percentage points) of images that the classifier reads as their prompt in all three attributes.</summary>
    public double Accuracy(IReadOnlyList<float[]> images, IReadOnlyList<string> prompts, int size) =>
        classifier.Accuracy(images, Targets(images, prompts, size));

    private ShapeAttributes[] Targets(IReadOnlyList<float[]> images, IReadOnlyList<string> prompts, int size)
    {
        ImageRewardChecks.Batch(images, prompts, size);
        if (size != classifier.Size) throw new ArgumentException($"The alignment reward's classifier reads {classifier.Size}×{classifier.Size} images, not {size}×{size}.");
        return [.. prompts.Select(ShapeAttributes.Parse)];
    }
}

internal static class ImageRewardChecks
{
    public static void Batch(IReadOnlyList<float[]> images, IReadOnlyList<string> prompts, int size)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(prompts);
        if (images.Count != prompts.Count) throw new ArgumentException($"Image reward: {images.Count} images but {prompts.Count} prompts.");
        for (int i = 0; i < images.Count; i++)
            if (images[i].Length != 3 * size * size) throw new ArgumentException($"Image reward: image {i} has {images[i].Length} values, expected 3·{size}·{size}.");
    }
}
