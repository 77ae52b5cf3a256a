using Rebel.Tensors;
using Rebel.Training.Images.Data;
using Rebel.Training.Images.Quality;
using Rebel.Training.Images.Rewards;

namespace Rebel.Training.Tests.Images;

public class ImageQualityTests
{
    private const int Size = 16;

    private static readonly Lazy<ShapeClassifier> featureNetwork = new(() => ShapeClassifier.Train(ShapesDataset.Generate(seed: 11, count: 3000, Size), Size, seed: 12, steps: 400,
        new ShapeClassifierOptions { Architecture = ShapeClassifier.ConvStack, MaxNoiseStd = 0, BlurProbability = 0 }));

    [Fact]
    public void FrechetDistanceOfDiagonalGaussiansIsTheClosedForm()
    {
        // Independent coordinates: ‖μ₁ − μ₂‖² + Σ (σ₁ − σ₂)².
        double[] meanA = [0.5, -1, 2], meanB = [0, 1, 2], varA = [1, 4, 0.25], varB = [9, 1, 0.25];
        double expected = 0.25 + 4 + 0 + (1 - 3) * (1 - 3) + (2 - 1) * (2 - 1) + 0;
        Assert.Equal(expected, FrechetDistance.FromMoments(meanA, Diagonal(varA), meanB, Diagonal(varB)), 9);
    }

    [Fact]
    public void FrechetDistanceOfRotatedCommutingCovariancesIsTheClosedForm()
    {
        // C₁ = R·diag(a)·Rᵀ, C₂ = R·diag(b)·Rᵀ commute: the distance is Σ (√a − √b)² whatever the rotation R.
        double angle = 0.7, c = Math.Cos(angle), s = Math.Sin(angle);
        double[,] r = { { c, -s }, { s, c } };
        double[] a = [2, 0.5], b = [8, 0.125];
        double expected = Math.Pow(Math.Sqrt(2) - Math.Sqrt(8), 2) + Math.Pow(Math.Sqrt(0.5) - Math.Sqrt(0.125), 2);
        Assert.Equal(expected, FrechetDistance.FromMoments([0, 0], Rotate(r, a), [0, 0], Rotate(r, b)), 9);
    }

    [Fact]
    public void SymmetricEigenReconstructsTheMatrix()
    {
        var rng = new Rng(3);
        const int d = 7;
        var m = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++) m[i, j] = m[j, i] = rng.NextFloat() - 0.5;
        var (values, vectors) = FrechetDistance.SymmetricEigen(m);
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                double sum = 0;
                for (int k = 0; k < d; k++) sum += vectors[i, k] * values[k] * vectors[j, k];
                Assert.Equal(m[i, j], sum, 9);
            }
    }

    [Fact]
    public void MeasuresRankRealThenBlurredThenNoise()
    {
        var reference = ShapesDataset.Generate(seed: 21, count: 600, Size).Select(i => i.Pixels).ToList();
        var real = ShapesDataset.Generate(seed: 22, count: 300, Size).Select(i => i.Pixels).ToList();
        var blurred = real.Select(i => ShapeClassifierTests.Blur(ShapeClassifierTests.Blur(i, Size), Size)).ToList();
        var rng = new Rng(23);
        var noise = real.Select(_ =>
        {
            var x = new float[3 * Size * Size];
            rng.FillNormal(x, 0f, 0.6f);
            return x;
        }).ToList();
        var meter = new ImageQualityMeter(featureNetwork.Value, reference, Size);
        ImageQuality qReal = meter.Measure(real), qBlurred = meter.Measure(blurred), qNoise = meter.Measure(noise);

        Assert.True(qReal.FrechetDistance < qBlurred.FrechetDistance && qBlurred.FrechetDistance < qNoise.FrechetDistance,
            $"Fréchet distance real {qReal.FrechetDistance:F3}, blurred {qBlurred.FrechetDistance:F3}, noise {qNoise.FrechetDistance:F3}");
        Assert.InRange(qReal.HighFrequencyRatio, 0.9, 1.1);
        Assert.True(qBlurred.HighFrequencyRatio < 0.75, $"blurred images' high-frequency ratio {qBlurred.HighFrequencyRatio:F3}");
        Assert.True(qNoise.HighFrequencyRatio > 1.33, $"noise's high-frequency ratio {qNoise.HighFrequencyRatio:F3}");
        // As a person would rank them: by distance from a ratio of 1, noise is worst.
        Assert.True(Math.Abs(Math.Log(qNoise.HighFrequencyRatio)) > Math.Abs(Math.Log(qBlurred.HighFrequencyRatio)));
    }

    [Fact]
    public void ConvStackClassifierLearnsAndRoundTripsThroughItsFile()
    {
        var network = featureNetwork.Value;
        var heldOut = ShapesDataset.Generate(seed: 24, count: 300, Size);
        double accuracy = network.Accuracy([.. heldOut.Select(i => i.Pixels)], [.. heldOut.Select(i => i.Attributes)]);
        Assert.True(accuracy > 0.6, $"conv-stack accuracy {accuracy:P1} on real images (chance is about 3 %)");
        string path = Path.Combine(Path.GetTempPath(), $"convstack-{Guid.NewGuid():N}.safetensors");
        try
        {
            network.Save(path);
            var loaded = ShapeClassifier.Load(path);
            Assert.Equal(ShapeClassifier.ConvStack, loaded.Architecture);
            Assert.Equal(network.Features([heldOut[0].Pixels])[0], loaded.Features([heldOut[0].Pixels])[0]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void UpscaleRepeatsPixelsAndSideBySideKeepsBothImages()
    {
        var image = new RgbImage([1, 2, 3, 4, 5, 6], 2, 1);
        var big = RgbImages.Upscale(image, 2);
        Assert.Equal((4, 2), (big.Width, big.Height));
        Assert.Equal<byte>([1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6], big.Rgb);
        var both = RgbImages.SideBySide(image, new RgbImage([7, 8, 9], 1, 1), 1, fill: 0);
        Assert.Equal<byte>([1, 2, 3, 4, 5, 6, 0, 0, 0, 7, 8, 9], both.Rgb);
    }

    private static double[,] Diagonal(double[] v)
    {
        var m = new double[v.Length, v.Length];
        for (int i = 0; i < v.Length; i++) m[i, i] = v[i];
        return m;
    }

    private static double[,] Rotate(double[,] r, double[] d)
    {
        var m = new double[2, 2];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 2; k++) m[i, j] += r[i, k] * d[k] * r[j, k];
        return m;
    }
}
