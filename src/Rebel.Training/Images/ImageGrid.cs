// Tiles square RGB images into one grid image, e.g. samples for fixed prompts and seeds before and after fine-tuning.
namespace Rebel.Training.Images;

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
