using Rebel.Tensors;
using Rebel.Training.Images.Data;

namespace Rebel.Training.Tests.Images;

public class ShapesDatasetTests
{
    [Fact]
    public void EveryCombinationHasDistinctColoursAndRoundTripsThroughItsCaption()
    {
        var all = ShapeAttributes.All;
        Assert.Equal(ShapeAttributes.Shapes.Length * (ShapeAttributes.Colors.Length * ShapeAttributes.Backgrounds.Length - 1), all.Count);
        for (int i = 0; i < all.Count; i++)
        {
            Assert.NotEqual(ShapeAttributes.Colors[all[i].Color], ShapeAttributes.Backgrounds[all[i].Background]);
            Assert.Equal(i, all[i].Index);
            Assert.Equal(all[i], ShapeAttributes.Parse(all[i].Caption));
        }
        Assert.Equal("red circle on blue", new ShapeAttributes(0, 0, 2).Caption);
        Assert.Equal(new ShapeAttributes(2, 3, 1), ShapeAttributes.Parse("  Yellow TRIANGLE on  white "));
    }

    [Theory]
    [InlineData("purple circle on black", "purple")]
    [InlineData("red hexagon on black", "hexagon")]
    [InlineData("red circle on pink", "pink")]
    [InlineData("blue square on blue", "blue")]
    [InlineData("red circle", "COLOUR SHAPE on BACKGROUND")]
    public void ParseNamesTheBadWord(string caption, string word)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => ShapeAttributes.Parse(caption));
        Assert.Contains(word, e.Message);
    }

    [Fact]
    public void ClashingColoursAreRejectedByTheConstructor() =>
        Assert.ThrowsAny<ArgumentException>(() => new ShapeAttributes(0, 2, 2));

    [Fact]
    public void GenerationIsDeterministicAndVaried()
    {
        var a = ShapesDataset.Generate(7, 200);
        var b = ShapesDataset.Generate(7, 200);
        var c = ShapesDataset.Generate(8, 200);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Attributes, b[i].Attributes);
            Assert.Equal(a[i].Pixels, b[i].Pixels);
        }
        Assert.NotEqual(a[0].Pixels, c[0].Pixels);
        Assert.Equal(ShapeAttributes.All.Count, a.Select(x => x.Attributes.Index).Distinct().Count());
        // Same attributes, different positions or sizes: the pixels differ.
        var rng = new Rng(1);
        var attributes = ShapeAttributes.All[5];
        Assert.NotEqual(ShapesDataset.Render(attributes, 16, rng).Pixels, ShapesDataset.Render(attributes, 16, rng).Pixels);
    }

    [Fact]
    public void CaptionNoiseRenamesOnlyTheShapeOfTheExpectedShareOfImages()
    {
        var images = ShapesDataset.Generate(3, 4000, 8);
        var noisy = ShapesDataset.WithCaptionNoise(images, 0.4, 11, "shape");
        int wrong = 0;
        var renamedTo = new int[ShapeAttributes.Shapes.Length];
        for (int i = 0; i < images.Count; i++)
        {
            Assert.Same(images[i].Pixels, noisy[i].Pixels);
            Assert.Equal(images[i].Attributes, noisy[i].Attributes); // what the image shows never changes
            var (shown, said) = (noisy[i].Attributes, noisy[i].Captioned);
            Assert.Equal((shown.Color, shown.Background), (said.Color, said.Background));
            if (said.Shape == shown.Shape) continue;
            wrong++;
            renamedTo[(said.Shape - shown.Shape + 3) % 3]++;
        }
        Assert.InRange(wrong / 4000.0, 0.37, 0.43); // binomial sd ≈ 0.008
        Assert.InRange(renamedTo[1] / (double)wrong, 0.45, 0.55); // either other shape, alike
        var again = ShapesDataset.WithCaptionNoise(images, 0.4, 11, "shape");
        Assert.Equal(noisy.Select(x => x.Captioned), again.Select(x => x.Captioned));
        Assert.NotEqual(noisy.Select(x => x.Captioned), ShapesDataset.WithCaptionNoise(images, 0.4, 12, "shape").Select(x => x.Captioned));
        Assert.All(ShapesDataset.WithCaptionNoise(images, 0, 11), x => Assert.Equal(x.Attributes, x.Captioned));
        Assert.All(ShapesDataset.WithCaptionNoise(images, 1, 11, "shape"), x => Assert.NotEqual(x.Attributes.Shape, x.Captioned.Shape));
        Assert.All(images, x => Assert.Equal(x.Attributes, x.Captioned)); // generated captions are clean
    }

    [Fact]
    public void CaptionNoiseOnEveryWordKeepsCaptionsValid()
    {
        var images = ShapesDataset.Generate(5, 6000, 8);
        var noisy = ShapesDataset.WithCaptionNoise(images, 0.25, 3);
        int[] wrong = new int[3];
        foreach (var x in noisy)
        {
            Assert.Contains(x.Captioned, ShapeAttributes.All); // never blue on blue
            if (x.Captioned.Color != x.Attributes.Color) wrong[0]++;
            if (x.Captioned.Shape != x.Attributes.Shape) wrong[1]++;
            if (x.Captioned.Background != x.Attributes.Background) wrong[2]++;
        }
        // Each word is renamed with probability 0.25 (binomial sd ≈ 0.006): some other value always keeps the colours apart.
        Assert.All(wrong, w => Assert.InRange(w / 6000.0, 0.22, 0.28));
        var colourOnly = ShapesDataset.WithCaptionNoise(images, 0.25, 3, "colour");
        Assert.All(colourOnly, x => Assert.Equal((x.Attributes.Shape, x.Attributes.Background), (x.Captioned.Shape, x.Captioned.Background)));
        Assert.InRange(colourOnly.Count(x => x.Captioned.Color != x.Attributes.Color) / 6000.0, 0.22, 0.28);
        var e = Assert.Throws<ArgumentException>(() => ShapesDataset.WithCaptionNoise(images, 0.25, 3, "size"));
        Assert.Contains("'size'", e.Message);
    }

    [Fact]
    public void CaptionWordsIgnoreCaseReadColorAsColourAndKeepTheDrawOrder()
    {
        Assert.Equal(["colour", "shape", "background"], ShapesDataset.ResolveCaptionWords([]));
        Assert.Equal(["colour", "background"], ShapesDataset.ResolveCaptionWords(["Background", " COLOR ", "colour"]));
        var images = ShapesDataset.Generate(2, 300, 8);
        Assert.Equal(ShapesDataset.WithCaptionNoise(images, 0.5, 9, "colour").Select(x => x.Captioned), ShapesDataset.WithCaptionNoise(images, 0.5, 9, "Color").Select(x => x.Captioned));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void CaptionNoiseMustBeAProbability(double p)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ShapesDataset.WithCaptionNoise(ShapesDataset.Generate(1, 4, 8), p, 1));
        Assert.Contains("not a probability", e.Message);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(32)]
    public void ImagesAreBackgroundShapeColourAndBlendsOfTheTwo(int size)
    {
        var backgrounds = new HashSet<(byte, byte, byte)>();
        foreach (var attributes in ShapeAttributes.All)
        {
            var image = ShapesDataset.Render(attributes, size, new Rng((ulong)attributes.Index));
            Assert.Equal(3 * size * size, image.Pixels.Length);
            Assert.All(image.Pixels, v => Assert.InRange(v, -1f, 1f));
            var rgb = ShapesDataset.ToRgb(image.Pixels, size);
            var counts = Enumerable.Range(0, size * size).Select(i => (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]))
                .GroupBy(p => p).OrderByDescending(g => g.Count()).ToList();
            var background = counts[0].Key;
            var shape = counts.Select(g => g.Key).MaxBy(p => Distance((background.Item1, background.Item2, background.Item3), p));
            int covered = counts.Where(g => g.Key != background).Sum(g => g.Count());
            Assert.True(covered >= size * size / 12, $"{attributes.Caption}: {covered} pixels touched by the shape");
            if (attributes.Background != 2) backgrounds.Add(background);
            // Every other pixel is an anti-aliased blend: on the segment from the background to the shape colour.
            foreach (var g in counts.Skip(1))
            {
                var (r, gr, b) = g.Key;
                double t = Project(background, shape, (r, gr, b));
                Assert.InRange(t, 0.0, 1.0);
                Assert.True(Distance(Lerp(background, shape, t), (r, gr, b)) < 2.5, $"{attributes.Caption}: {g.Key} is no blend of {background} and {shape}");
            }
        }
        Assert.Equal(2, backgrounds.Count);
    }

    [Fact]
    public void ShapesAreTellableApartByTheirFill()
    {
        // Same position and size: a disc of radius r covers more than a square of half-side 0.8 r, which covers more than the triangle.
        double Fill(int shape)
        {
            var image = ShapesDataset.Render(new ShapeAttributes(shape, 0, 0), 32, new Rng(3));
            return image.Pixels.Take(32 * 32).Average();
        }
        Assert.True(Fill(0) > Fill(1) + 0.05 && Fill(1) > Fill(2) + 0.05, $"circle {Fill(0)}, square {Fill(1)}, triangle {Fill(2)}");
    }

    [Fact]
    public void PixelConversionRoundTripsAndClamps()
    {
        var image = ShapesDataset.Generate(3, 1, 12)[0];
        var rgb = ShapesDataset.ToRgb(image.Pixels, 12);
        var back = ShapesDataset.FromRgb(rgb, 12);
        for (int i = 0; i < back.Length; i++) Assert.Equal(image.Pixels[i], back[i], 1f / 127f);
        Assert.Equal(rgb, ShapesDataset.ToRgb(back, 12));
        var wild = new float[3 * 64];
        wild[0] = 5f; wild[1] = -5f; wild[64] = 0f; wild[2] = float.NaN;
        var bytes = ShapesDataset.ToRgb(wild, 8);
        Assert.Equal(new byte[] { 255, 128, 128 }, bytes[..3]);
        Assert.Equal(0, bytes[3]);
        Assert.Equal(0, bytes[6]);
        Assert.Throws<ArgumentException>(() => ShapesDataset.ToRgb(new float[10], 8));
    }

    [Fact]
    public void UnsupportedSizesAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ShapesDataset.Generate(1, 1, 7));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShapesDataset.Generate(1, 1, 33));
    }

    private static double Project((byte, byte, byte) a, (byte, byte, byte) b, (byte, byte, byte) p)
    {
        double[] d = [b.Item1 - a.Item1, b.Item2 - a.Item2, b.Item3 - a.Item3];
        double[] q = [p.Item1 - a.Item1, p.Item2 - a.Item2, p.Item3 - a.Item3];
        return (d[0] * q[0] + d[1] * q[1] + d[2] * q[2]) / (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    }

    private static (double, double, double) Lerp((byte, byte, byte) a, (byte, byte, byte) b, double t) =>
        (a.Item1 + t * (b.Item1 - a.Item1), a.Item2 + t * (b.Item2 - a.Item2), a.Item3 + t * (b.Item3 - a.Item3));

    private static double Distance((double, double, double) a, (byte, byte, byte) b) =>
        Math.Sqrt(Math.Pow(a.Item1 - b.Item1, 2) + Math.Pow(a.Item2 - b.Item2, 2) + Math.Pow(a.Item3 - b.Item3, 2));
}
