// The built-in image data set: small RGB pictures of one shape with a colour on a background, generated from a seed, each with
// its caption ("red circle on blue") as the prompt. Position and size of the shape vary but are not in the caption.
using System.Globalization;
using Rebel.Tensors;

namespace Rebel.Training.Images.Data;

/// <summary>One image, the attributes it shows and the caption it carries.</summary>
/// <param name="Pixels">(3, S, S) channel-major, values in [-1, 1].</param>
/// <param name="Attributes">What the image shows; what a classifier learns to read.</param>
public sealed record ShapeImage(float[] Pixels, ShapeAttributes Attributes)
{
    /// <summary>
    /// What the image's caption says, the condition a denoiser learns from: <see cref="Attributes"/> unless the caption is noisy
    /// (<see cref="ShapesDataset.WithCaptionNoise"/>), as web captions often are. Set when the record is made: a copy made with
    /// another <see cref="Attributes"/> keeps this caption.
    /// </summary>
    public ShapeAttributes Captioned { get; init; } = Attributes;
}

/// <summary>Generates and renders the built-in shapes images, and converts pixels between [-1, 1] floats and RGB bytes.</summary>
public static class ShapesDataset
{
    /// <summary>The smallest supported image side.</summary>
    public const int MinSize = 8;

    /// <summary>The largest supported image side.</summary>
    public const int MaxSize = 32;

    // Sub-pixel samples per axis for anti-aliased edges (4 × 4 per pixel).
    private const int Supersample = 4;

    // RGB of each shape colour (ShapeAttributes.Colors order) and background (ShapeAttributes.Backgrounds order).
    private static readonly byte[][] ColorRgb = [[220, 50, 47], [50, 180, 70], [40, 90, 220], [240, 210, 40]];
    private static readonly byte[][] BackgroundRgb = [[15, 15, 15], [240, 240, 240], [40, 90, 220]];

    /// <summary>
    /// <paramref name="count"/> images of side <paramref name="size"/> (8..32): attributes drawn uniformly from
    /// <see cref="ShapeAttributes.All"/>, then rendered by <see cref="Render"/>. The same seed gives the same images.
    /// </summary>
    public static IReadOnlyList<ShapeImage> Generate(ulong seed, int count, int size = 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        CheckSize(size);
        var rng = new Rng(seed);
        var images = new ShapeImage[count];
        for (int i = 0; i < count; i++)
            images[i] = Render(ShapeAttributes.All[rng.NextInt(ShapeAttributes.All.Count)], size, rng);
        return images;
    }

    /// <summary>The caption words <see cref="WithCaptionNoise"/> can rename, in the order it draws them.</summary>
    public static IReadOnlyList<string> CaptionWords { get; } = ["colour", "shape", "background"];

    /// <summary>
    /// <paramref name="words"/> as a list of <see cref="CaptionWords"/>: case ignored, "color" read as "colour", none meaning all
    /// three; throws ArgumentException naming a word that is none of them.
    /// </summary>
    public static IReadOnlyList<string> ResolveCaptionWords(IEnumerable<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        var resolved = new List<string>();
        foreach (var word in words)
        {
            string w = word.Trim().ToLowerInvariant() is "color" ? "colour" : word.Trim().ToLowerInvariant();
            if (!CaptionWords.Contains(w)) throw new ArgumentException($"Caption noise: unknown word '{word}'; expected {string.Join(", ", CaptionWords)}.", nameof(words));
            if (!resolved.Contains(w)) resolved.Add(w);
        }
        return resolved.Count == 0 ? CaptionWords : [.. CaptionWords.Where(resolved.Contains)];
    }

    /// <summary>
    /// The same images with noisy captions, as a web crawl's alt texts are: each word of an image's caption (colour, shape,
    /// background), independently with probability <paramref name="wordNoise"/> (0..1), names another value of its kind, drawn
    /// uniformly among those that keep the shape's colour apart from the background; <see cref="ShapeImage.Attributes"/> still says
    /// what the image shows. A denoiser pretrained on them follows a caption only as often as its data did, which is what
    /// fine-tuning on prompt alignment is there to fix. <paramref name="words"/> limits the noise to some words ("shape",
    /// "colour", "background"; default all three). The same seed gives the same captions.
    /// </summary>
    public static IReadOnlyList<ShapeImage> WithCaptionNoise(IReadOnlyList<ShapeImage> images, double wordNoise, ulong seed, params string[] words)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (!(wordNoise >= 0 && wordNoise <= 1))
            throw new ArgumentOutOfRangeException(nameof(wordNoise), string.Create(CultureInfo.InvariantCulture, $"Caption noise {wordNoise} is not a probability in 0..1."));
        var chosen = ResolveCaptionWords(words);
        bool[] noisy = [.. CaptionWords.Select(chosen.Contains)];
        int[] counts = [ShapeAttributes.Colors.Length, ShapeAttributes.Shapes.Length, ShapeAttributes.Backgrounds.Length]; // values per word
        var rng = new Rng(seed);
        var result = new ShapeImage[images.Count];
        for (int i = 0; i < result.Length; i++)
        {
            var a = images[i].Attributes;
            int[] said = [a.Color, a.Shape, a.Background]; // CaptionWords order
            for (int k = 0; k < said.Length; k++)
            {
                // Both draws happen for every word, so one image's captions do not depend on the others' or on which words are noisy.
                bool wrong = rng.NextDouble() < wordNoise;
                double pick = rng.NextDouble();
                if (!noisy[k] || !wrong) continue;
                var others = Enumerable.Range(0, counts[k]).Where(v => v != said[k] && Valid(k, v, said)).ToArray();
                if (others.Length > 0) said[k] = others[(int)(pick * others.Length)];
            }
            var caption = new ShapeAttributes(said[1], said[0], said[2]);
            result[i] = caption == a ? images[i] : images[i] with { Captioned = caption };
        }
        return result;

        static bool Valid(int kind, int value, int[] said) => kind switch
        {
            0 => ShapeAttributes.Colors[value] != ShapeAttributes.Backgrounds[said[2]],
            2 => ShapeAttributes.Colors[said[0]] != ShapeAttributes.Backgrounds[value],
            _ => true,
        };
    }

    /// <summary>
    /// Renders <paramref name="attributes"/> at side <paramref name="size"/> (8..32): the shape's half-extent is uniform in
    /// [0.22, 0.38]·size and its centre uniform where the whole shape fits; edges are anti-aliased (4 × 4 samples per pixel).
    /// </summary>
    public static ShapeImage Render(ShapeAttributes attributes, int size, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentNullException.ThrowIfNull(rng);
        CheckSize(size);
        float r = size * (0.22f + 0.16f * rng.NextFloat());
        float cx = r + (size - 2 * r) * rng.NextFloat();
        float cy = r + (size - 2 * r) * rng.NextFloat();
        var fg = ColorRgb[attributes.Color];
        var bg = BackgroundRgb[attributes.Background];
        var pixels = new float[3 * size * size]; // (3, S, S)
        int plane = size * size;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                float coverage = Coverage(attributes.Shape, x, y, cx, cy, r);
                for (int c = 0; c < 3; c++)
                    pixels[c * plane + y * size + x] = (bg[c] + coverage * (fg[c] - bg[c])) / 127.5f - 1f;
            }
        return new ShapeImage(pixels, attributes);
    }

    // Share of the pixel (x, y) inside the shape, from Supersample² point samples.
    private static float Coverage(int shape, int x, int y, float cx, float cy, float r)
    {
        int inside = 0;
        for (int sy = 0; sy < Supersample; sy++)
            for (int sx = 0; sx < Supersample; sx++)
            {
                float px = x + (sx + 0.5f) / Supersample - cx;
                float py = y + (sy + 0.5f) / Supersample - cy;
                if (Inside(shape, px, py, r)) inside++;
            }
        return inside / (float)(Supersample * Supersample);
    }

    // Whether the offset (dx, dy) from the centre lies inside the shape of half-extent r: a disc, an axis-aligned square of
    // half-side 0.8 r, or an upright triangle with apex at −r and base at +0.8 r, as wide as 2 r at the base.
    private static bool Inside(int shape, float dx, float dy, float r) => shape switch
    {
        0 => dx * dx + dy * dy <= r * r,
        1 => MathF.Abs(dx) <= 0.8f * r && MathF.Abs(dy) <= 0.8f * r,
        _ => dy >= -r && dy <= 0.8f * r && MathF.Abs(dx) <= r * (dy + r) / (1.8f * r),
    };

    /// <summary>(3, S, S) floats in [-1, 1] to (S, S, 3) RGB bytes, rounding and clamping out-of-range values.</summary>
    public static byte[] ToRgb(ReadOnlySpan<float> chw, int size)
    {
        int plane = size * size;
        if (size <= 0 || chw.Length != 3 * plane) throw new ArgumentException($"ToRgb: expected 3·{size}·{size} = {3 * plane} values, got {chw.Length}.");
        var rgb = new byte[3 * plane]; // (S, S, 3)
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
            {
                float v = chw[c * plane + i];
                rgb[3 * i + c] = float.IsNaN(v) ? (byte)0 : (byte)Math.Clamp(MathF.Round((v + 1f) * 127.5f), 0f, 255f);
            }
        return rgb;
    }

    /// <summary>(3, S, S) floats in [-1, 1] as PNG bytes (<see cref="ToRgb"/>, then <see cref="Png.Encode"/>).</summary>
    public static byte[] ToPng(ReadOnlySpan<float> chw, int size) => Png.Encode(ToRgb(chw, size), size, size);

    /// <summary>(S, S, 3) RGB bytes to (3, S, S) floats in [-1, 1]; the inverse of <see cref="ToRgb"/> up to rounding.</summary>
    public static float[] FromRgb(ReadOnlySpan<byte> rgb, int size)
    {
        int plane = size * size;
        if (size <= 0 || rgb.Length != 3 * plane) throw new ArgumentException($"FromRgb: expected 3·{size}·{size} = {3 * plane} bytes, got {rgb.Length}.");
        var chw = new float[3 * plane]; // (3, S, S)
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
                chw[c * plane + i] = rgb[3 * i + c] / 127.5f - 1f;
        return chw;
    }

    private static void CheckSize(int size)
    {
        if (size < MinSize || size > MaxSize) throw new ArgumentOutOfRangeException(nameof(size), $"Image size {size} is not in {MinSize}..{MaxSize}.");
    }
}
