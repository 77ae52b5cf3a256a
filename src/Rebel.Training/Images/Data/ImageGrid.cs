// Tiles square RGB images into one grid image, e.g. samples for fixed prompts and seeds before and after fine-tuning.
namespace Rebel.Training.Images.Data;

/// <summary>An RGB picture: (Height, Width, 3) bytes.</summary>
/// <param name="Rgb">(H, W, 3) bytes, row-major.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public sealed record RgbImage(byte[] Rgb, int Width, int Height)
{
    /// <summary>The image as PNG bytes (<see cref="Png.Encode"/>).</summary>
    public byte[] ToPng() => Png.Encode(Rgb, Width, Height);
}

/// <summary>Lays out images in a grid.</summary>
public static class ImageGrid
{
    /// <summary>
    /// Places <paramref name="rgbImages"/> ((S, S, 3) bytes each, S = <paramref name="size"/>) row by row, <paramref name="columns"/>
    /// per row, with <paramref name="padding"/> pixels of <paramref name="fill"/> grey (default white) around and between them.
    /// A last row that is not full stays filled.
    /// </summary>
    public static RgbImage Compose(IReadOnlyList<byte[]> rgbImages, int size, int columns, int padding = 1, byte fill = 255)
    {
        ArgumentNullException.ThrowIfNull(rgbImages);
        if (rgbImages.Count == 0) throw new ArgumentException("ImageGrid: no images.", nameof(rgbImages));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        int cols = Math.Min(columns, rgbImages.Count);
        int rows = (rgbImages.Count + columns - 1) / columns;
        int width = cols * size + (cols + 1) * padding;
        int height = rows * size + (rows + 1) * padding;
        var grid = new byte[3 * width * height]; // (H, W, 3)
        grid.AsSpan().Fill(fill);
        for (int n = 0; n < rgbImages.Count; n++)
        {
            var image = rgbImages[n];
            if (image.Length != 3 * size * size) throw new ArgumentException($"ImageGrid: image {n} has {image.Length} bytes, expected 3·{size}·{size}.", nameof(rgbImages));
            int left = padding + (n % columns) * (size + padding);
            int top = padding + (n / columns) * (size + padding);
            for (int y = 0; y < size; y++)
                image.AsSpan(3 * y * size, 3 * size).CopyTo(grid.AsSpan(3 * ((top + y) * width + left)));
        }
        return new RgbImage(grid, width, height);
    }
}

/// <summary>Scaling and joining of grid pictures, for figures a reader can check by eye.</summary>
public static class RgbImages
{
    /// <summary><paramref name="image"/> <paramref name="factor"/> times larger, each pixel a factor × factor block (nearest neighbour: no smoothing invents detail).</summary>
    public static RgbImage Upscale(RgbImage image, int factor)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(factor);
        int w = image.Width * factor, h = image.Height * factor;
        var rgb = new byte[3 * w * h]; // (H·f, W·f, 3)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                image.Rgb.AsSpan(3 * ((y / factor) * image.Width + x / factor), 3).CopyTo(rgb.AsSpan(3 * (y * w + x)));
        return new RgbImage(rgb, w, h);
    }

    /// <summary><paramref name="left"/> and <paramref name="right"/> next to each other, top-aligned, <paramref name="gap"/> pixels of <paramref name="fill"/> grey between and below.</summary>
    public static RgbImage SideBySide(RgbImage left, RgbImage right, int gap, byte fill = 255)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        ArgumentOutOfRangeException.ThrowIfNegative(gap);
        int w = left.Width + gap + right.Width, h = Math.Max(left.Height, right.Height);
        var rgb = new byte[3 * w * h]; // (H, W, 3)
        rgb.AsSpan().Fill(fill);
        for (int y = 0; y < left.Height; y++) left.Rgb.AsSpan(3 * y * left.Width, 3 * left.Width).CopyTo(rgb.AsSpan(3 * y * w));
        for (int y = 0; y < right.Height; y++) right.Rgb.AsSpan(3 * y * right.Width, 3 * right.Width).CopyTo(rgb.AsSpan(3 * (y * w + left.Width + gap)));
        return new RgbImage(rgb, w, h);
    }
}
