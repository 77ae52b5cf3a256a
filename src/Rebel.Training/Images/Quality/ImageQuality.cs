// Image-quality measures that pixel noise cannot pass, for generated shapes images against real ones: the Fréchet distance
// in the feature space of a network trained only on real images and never used as a reward (an FID for the shapes set),
// and the ratio of the samples' high-frequency energy (mean absolute Laplacian) to the real images'.
using Rebel.Training.Images.Rewards;

namespace Rebel.Training.Images.Quality;

/// <summary>Quality of a set of generated images relative to real ones.</summary>
/// <param name="FrechetDistance">Fréchet distance to the real images' features (0 = same distribution; lower is better).</param>
/// <param name="HighFrequencyRatio">Mean absolute Laplacian of the samples ÷ the real images' (1 = as sharp as real; &gt; 1 noisier, &lt; 1 blurrier).</param>
public sealed record ImageQuality(double FrechetDistance, double HighFrequencyRatio);

/// <summary>Measures generated images against a fixed set of real ones.</summary>
public sealed class ImageQualityMeter
{
    private readonly ShapeClassifier features;
    private readonly float[][] realFeatures;

    /// <summary>
    /// Compares with <paramref name="real"/> (images of side <paramref name="size"/>) through the hidden features of
    /// <paramref name="featureNetwork"/>, which should have seen only real images and never served as a reward.
    /// </summary>
    public ImageQualityMeter(ShapeClassifier featureNetwork, IReadOnlyList<float[]> real, int size)
    {
        ArgumentNullException.ThrowIfNull(featureNetwork);
        ArgumentNullException.ThrowIfNull(real);
        if (featureNetwork.Size != size) throw new ArgumentException($"ImageQualityMeter: the feature network reads {featureNetwork.Size}×{featureNetwork.Size} images, not {size}×{size}.");
        features = featureNetwork;
        Size = size;
        realFeatures = featureNetwork.Features(real);
        RealHighFrequencyEnergy = HighFrequencyEnergy(real, size);
    }

    /// <summary>Image side.</summary>
    public int Size { get; }

    /// <summary>The real images' mean absolute Laplacian (see <see cref="HighFrequencyEnergy"/>).</summary>
    public double RealHighFrequencyEnergy { get; }

    /// <summary>The Fréchet distance and high-frequency ratio of <paramref name="images"/> (at least two) against the real set.</summary>
    public ImageQuality Measure(IReadOnlyList<float[]> images) =>
        new(FrechetDistance.Between(realFeatures, features.Features(images)), HighFrequencyEnergy(images, Size) / RealHighFrequencyEnergy);

    /// <summary>
    /// Mean over images, channels and interior pixels of |4·x(y, x) − x(y−1, x) − x(y+1, x) − x(y, x−1) − x(y, x+1)| (the discrete
    /// Laplacian), pixels clamped to [−1, 1] first (what an 8-bit image shows). Flat regions score 0, edges little, pixel noise a lot.
    /// </summary>
    public static double HighFrequencyEnergy(IReadOnlyList<float[]> images, int size)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("HighFrequencyEnergy: no images.", nameof(images));
        int plane = size * size;
        double sum = 0;
        foreach (var image in images)
        {
            if (image.Length != 3 * plane) throw new ArgumentException($"HighFrequencyEnergy: an image has {image.Length} values, expected 3·{size}·{size}.", nameof(images));
            float At(int c, int y, int x) => Math.Clamp(image[c * plane + y * size + x], -1f, 1f);
            for (int c = 0; c < 3; c++)
                for (int y = 1; y < size - 1; y++)
                    for (int x = 1; x < size - 1; x++)
                        sum += Math.Abs(4 * At(c, y, x) - At(c, y - 1, x) - At(c, y + 1, x) - At(c, y, x - 1) - At(c, y, x + 1));
        }
        return sum / (images.Count * 3.0 * (size - 2) * (size - 2));
    }
}
