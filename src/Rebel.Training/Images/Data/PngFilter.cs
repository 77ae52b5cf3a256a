// PNG scanline filters (None, Sub, Up, Average, Paeth), forward and inverse side by side, as the PNG specification defines them.
namespace Rebel.Training.Images.Data;

/// <summary>The five PNG filter types applied to one row given the row above ("prior", zeros for the first row).</summary>
internal static class PngFilter
{
    /// <summary>Filters <paramref name="row"/> with <paramref name="type"/> into <paramref name="destination"/>; bpp = bytes per pixel.</summary>
    public static void Apply(byte type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, Span<byte> destination)
    {
        for (int i = 0; i < row.Length; i++)
            destination[i] = (byte)(row[i] - Predict(type, i >= bpp ? row[i - bpp] : (byte)0, prior[i], i >= bpp ? prior[i - bpp] : (byte)0));
    }

    /// <summary>Inverts <see cref="Apply"/>: reconstructs the row in place of <paramref name="destination"/>, left to right.</summary>
    public static void Undo(byte type, ReadOnlySpan<byte> filtered, ReadOnlySpan<byte> prior, int bpp, Span<byte> destination)
    {
        for (int i = 0; i < filtered.Length; i++)
            destination[i] = (byte)(filtered[i] + Predict(type, i >= bpp ? destination[i - bpp] : (byte)0, prior[i], i >= bpp ? prior[i - bpp] : (byte)0));
    }

    // The predictor of each filter type from the left (a), above (b) and upper-left (c) bytes.
    private static int Predict(byte type, byte a, byte b, byte c) => type switch
    {
        0 => 0,
        1 => a,
        2 => b,
        3 => (a + b) >> 1,
        4 => Paeth(a, b, c),
        _ => throw new InvalidDataException($"PNG: unknown filter type {type}."),
    };

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
