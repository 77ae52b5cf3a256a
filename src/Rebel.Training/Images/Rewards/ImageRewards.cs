// Rewards for generated images: compressibility and incompressibility (the size of the PNG encoding, as DDPO uses the JPEG size)
// and prompt alignment (how surely the shape classifier reads the caption's attributes in the image), as a probability or its log.
using Rebel.Training.Images.Data;

namespace Rebel.Training.Images.Rewards;

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

    /// <summary>Share (0..1) of images whose shape, colour and background, each on its own, the classifier reads as the prompt's.</summary>
    public AttributeAccuracy Attributes(IReadOnlyList<float[]> images, IReadOnlyList<string> prompts, int size)
    {
        var targets = Targets(images, prompts, size);
        var predicted = classifier.Predict(images);
        double Share(Func<int, bool> right) => images.Count == 0 ? 0 : Enumerable.Range(0, images.Count).Count(right) / (double)images.Count;
        return new AttributeAccuracy(Share(b => predicted[b].Shape == targets[b].Shape), Share(b => predicted[b].Color == targets[b].Color),
            Share(b => predicted[b].Background == targets[b].Background));
    }

    private ShapeAttributes[] Targets(IReadOnlyList<float[]> images, IReadOnlyList<string> prompts, int size)
    {
        ImageRewardChecks.Batch(images, prompts, size);
        if (size != classifier.Size) throw new ArgumentException($"The alignment reward's classifier reads {classifier.Size}×{classifier.Size} images, not {size}×{size}.");
        return [.. prompts.Select(ShapeAttributes.Parse)];
    }
}

/// <summary>
/// r = ln P(shape) + ln P(colour) + ln P(background) = ln of <see cref="PromptAlignmentReward"/>'s product, floored at ln 10⁻⁶. The product
/// is near 0 for every sample whose shape is still wrong, so two such samples barely differ in it; the log keeps those differences
/// (a sample whose shape head moved from 0.1 to 0.3 scores ln 3 higher), which is what REBEL's reward differences regress on.
/// </summary>
public sealed class LogPromptAlignmentReward(ShapeClassifier classifier) : IImageReward
{
    /// <summary>The floor of the probability product before the log, so that a sample read as another caption cannot dominate a batch.</summary>
    public const float Floor = 1e-6f;

    private readonly PromptAlignmentReward alignment = new(classifier);

    /// <inheritdoc />
    public string Name => "log-alignment";

    /// <inheritdoc />
    public float[] Score(IReadOnlyList<float[]> images, IReadOnlyList<string> prompts, int size) =>
        [.. alignment.Score(images, prompts, size).Select(p => MathF.Log(MathF.Max(p, Floor)))];
}

/// <summary>Per-attribute shares (0..1) of images read as their prompt: see <see cref="PromptAlignmentReward.Attributes"/>.</summary>
/// <param name="Shape">Share whose shape is read right.</param>
/// <param name="Color">Share whose shape colour is read right.</param>
/// <param name="Background">Share whose background is read right.</param>
public sealed record AttributeAccuracy(double Shape, double Color, double Background);

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
