using Rebel.Tensors;
using Rebel.Training.Images.Data;
using Rebel.Training.Images.Rewards;

namespace Rebel.Training.Tests.Images;

public class ShapeClassifierTests
{
    private static List<float[]> Pixels(IEnumerable<ShapeImage> images) => [.. images.Select(i => i.Pixels)];

    private static List<ShapeAttributes> Targets(IEnumerable<ShapeImage> images) => [.. images.Select(i => i.Attributes)];

    [Fact]
    public void ReadsHeldOutCleanImagesAlmostPerfectly()
    {
        var test = TrainedClassifier.HeldOut(1000);
        double accuracy = TrainedClassifier.Instance.Accuracy(Pixels(test), Targets(test));
        Assert.True(accuracy > 0.98, $"held-out accuracy {accuracy:P1}");
    }

    [Fact]
    public void AnUntrainedClassifierIsNearChance()
    {
        var test = TrainedClassifier.HeldOut(300);
        var untrained = new ShapeClassifier(TrainedClassifier.Size, 5, 2, 8, 16, new Rng(9));
        Assert.True(untrained.Accuracy(Pixels(test), Targets(test)) < 0.3);
    }

    [Fact]
    public void ReadsNoisyAndBlurredImagesSensibly()
    {
        var test = TrainedClassifier.HeldOut(500);
        var rng = new Rng(11);
        var noisy = test.Select(i => i.Pixels.Select(v => v + 0.2f * (float)rng.NextNormal()).ToArray()).ToList();
        var blurred = test.Select(i => Blur(i.Pixels, TrainedClassifier.Size)).ToList();
        double noisyAccuracy = TrainedClassifier.Instance.Accuracy(noisy, Targets(test));
        double blurredAccuracy = TrainedClassifier.Instance.Accuracy(blurred, Targets(test));
        Assert.True(noisyAccuracy > 0.9 && blurredAccuracy > 0.9, $"noisy {noisyAccuracy:P1}, blurred {blurredAccuracy:P1}");
    }

    [Fact]
    public void ProbabilitiesAreDistributionsAndAlignmentIsTheirProduct()
    {
        var test = TrainedClassifier.HeldOut(20);
        var c = TrainedClassifier.Instance;
        var probs = c.Probabilities(test);
        Assert.Equal(3, probs.Length);
        for (int h = 0; h < 3; h++)
        {
            int k = ShapeClassifier.HeadClasses[h];
            Assert.Equal(test.Count * k, probs[h].Length);
            for (int b = 0; b < test.Count; b++) Assert.Equal(1.0, probs[h].Skip(b * k).Take(k).Sum(), 1e-4);
        }
        var image = test[4];
        double expected = probs[0][4 * 3 + image.Attributes.Shape] * probs[1][4 * 4 + image.Attributes.Color] * probs[2][4 * 3 + image.Attributes.Background];
        Assert.Equal(expected, c.AlignmentProbability(image.Pixels, image.Attributes), 1e-6);
        Assert.True(c.ReadsAs(image.Pixels, image.Attributes));
        var other = ShapeAttributes.All[(image.Attributes.Index + 1) % ShapeAttributes.All.Count];
        Assert.False(c.ReadsAs(image.Pixels, other));
        Assert.True(c.AlignmentProbability(image.Pixels, image.Attributes) > 0.5 + c.AlignmentProbability(image.Pixels, other));
    }

    [Fact]
    public void OutOfRangePixelsReadAsTheirClampedImage()
    {
        var image = TrainedClassifier.HeldOut(3)[2].Pixels;
        var wild = image.Select((v, i) => v * 5f + (i % 7 == 0 ? 3f : 0f)).ToArray();
        var clamped = wild.Select(v => Math.Clamp(v, -1f, 1f)).ToArray();
        Assert.Equal(TrainedClassifier.Instance.Probabilities([clamped]), TrainedClassifier.Instance.Probabilities([wild]));
        Assert.NotEqual(TrainedClassifier.Instance.Probabilities([image]), TrainedClassifier.Instance.Probabilities([wild]));
    }

    [Fact]
    public void SaveAndLoadGiveTheSameReadings()
    {
        var dir = Directory.CreateTempSubdirectory("rebel-classifier-");
        try
        {
            var path = Path.Combine(dir.FullName, "classifier.safetensors");
            TrainedClassifier.Instance.Save(path);
            var loaded = ShapeClassifier.Load(path);
            Assert.Equal((16, 5, 2, 32, 64), (loaded.Size, loaded.Kernel, loaded.Stride, loaded.Channels, loaded.Hidden));
            var test = Pixels(TrainedClassifier.HeldOut(10));
            Assert.Equal(TrainedClassifier.Instance.Probabilities(test), loaded.Probabilities(test));
            var other = Path.Combine(dir.FullName, "other.safetensors");
            Rebel.Models.IO.SafetensorsWriter.Write(other, new Dictionary<string, Rebel.Models.IO.TensorData> { ["x"] = new([1], [1f]) });
            Assert.Contains("not a shape classifier", Assert.Throws<InvalidDataException>(() => ShapeClassifier.Load(other)).Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void TrainingIsDeterministicAndChecksItsInput()
    {
        var data = ShapesDataset.Generate(5, 50, 8);
        var a = ShapeClassifier.Train(data, 8, 7, 3);
        var b = ShapeClassifier.Train(data, 8, 7, 3);
        Assert.Equal(a.Probabilities(data), b.Probabilities(data));
        Assert.Throws<ArgumentException>(() => ShapeClassifier.Train(data, 16, 7, 1));
        Assert.Throws<ArgumentException>(() => a.Probabilities([new float[5]]));
    }

    [Theory]
    [InlineData(8, 3, 1)]
    [InlineData(16, 5, 2)]
    [InlineData(24, 8, 3)]
    [InlineData(32, 10, 4)]
    public void PatchesScaleWithTheImageSize(int size, int kernel, int stride)
    {
        var options = new ShapeClassifierOptions();
        Assert.Equal((kernel, stride), (options.KernelFor(size), options.StrideFor(size)));
        var given = options with { Kernel = 7, Stride = 3 };
        Assert.Equal((7, 3), (given.KernelFor(size), given.StrideFor(size)));
    }

    internal static float[] Blur(float[] chw, int size)
    {
        var result = new float[chw.Length];
        int plane = size * size;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    float sum = 0;
                    int n = 0;
                    for (int v = -1; v <= 1; v++)
                        for (int u = -1; u <= 1; u++)
                        {
                            int yy = y + v, xx = x + u;
                            if (yy < 0 || yy >= size || xx < 0 || xx >= size) continue;
                            sum += chw[c * plane + yy * size + xx];
                            n++;
                        }
                    result[c * plane + y * size + x] = 0.5f * chw[c * plane + y * size + x] + 0.5f * sum / n;
                }
        return result;
    }
}
