using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;
using Rebel.Training.Images.Data;

namespace Rebel.Training.Tests.Images;

public class PngTests
{
    private static byte[] Pattern(int width, int height)
    {
        var rgb = new byte[3 * width * height];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i * 7 + i / 13);
        return rgb;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(16, 16)]
    [InlineData(13, 5)]
    public void EncodeThenDecodeGivesThePixelsBack(int width, int height)
    {
        var rgb = Pattern(width, height);
        var png = Png.Encode(rgb, width, height);
        var (w, h, back) = Png.Decode(png);
        Assert.Equal((width, height), (w, h));
        Assert.Equal(rgb, back);
        Assert.Equal(png, Png.Encode(rgb, width, height));
    }

    [Fact]
    public void EncodedFileHasTheStandardLayout()
    {
        var png = Png.Encode(Pattern(5, 3), 5, 3);
        Assert.Equal(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }, png[..8]);
        Assert.Equal(13, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(8)));
        Assert.Equal("IHDR", Encoding.ASCII.GetString(png, 12, 4));
        Assert.Equal(new byte[] { 0, 0, 0, 5, 0, 0, 0, 3, 8, 2, 0, 0, 0 }, png[16..29]);
        // The last 12 bytes are the empty IEND chunk with its well-known CRC.
        Assert.Equal(new byte[] { 0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82 }, png[^12..]);
        // The IDAT payload is a zlib stream that an independent inflater (System.IO.Compression) reads: 3 rows of 1 + 15 bytes.
        int idatLength = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(33));
        Assert.Equal("IDAT", Encoding.ASCII.GetString(png, 37, 4));
        using var z = new ZLibStream(new MemoryStream(png, 41, idatLength), CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        Assert.Equal(3 * 16, raw.Length);
    }

    [Fact]
    public void Crc32MatchesKnownValues()
    {
        Assert.Equal(0xAE426082u, Png.Crc32("IEND"u8));
        Assert.Equal(0xCBF43926u, Png.Crc32("123456789"u8));
        Assert.Equal(0u, Png.Crc32([]));
    }

    [Fact]
    public void ACorruptedByteIsReportedAsACrcMismatch()
    {
        var png = Png.Encode(Pattern(8, 8), 8, 8);
        for (int at = 16; at < png.Length - 12; at += 5)
        {
            var bad = (byte[])png.Clone();
            bad[at] ^= 0x10;
            var e = Assert.Throws<InvalidDataException>(() => Png.Decode(bad));
            Assert.Contains("PNG", e.Message);
        }
        var flipped = (byte[])png.Clone();
        flipped[45] ^= 1;
        Assert.Contains("CRC mismatch in chunk 'IDAT'", Assert.Throws<InvalidDataException>(() => Png.Decode(flipped)).Message);
    }

    [Fact]
    public void MalformedFilesAreRejectedWithClearMessages()
    {
        var png = Png.Encode(Pattern(4, 4), 4, 4);
        Assert.Contains("signature", Assert.Throws<InvalidDataException>(() => Png.Decode([1, 2, 3])).Message);
        Assert.Contains("no IEND", Assert.Throws<InvalidDataException>(() => Png.Decode(png[..^12])).Message);
        // A zlib stream that is well-formed but too short for the header's size, re-wrapped with valid CRCs.
        var shortImage = WithIdat(png, Deflate(new byte[10]));
        Assert.Contains("shorter", Assert.Throws<InvalidDataException>(() => Png.Decode(shortImage)).Message);
        var badFilter = new byte[4 * (1 + 12)];
        badFilter[13] = 9;
        Assert.Contains("filter type 9", Assert.Throws<InvalidDataException>(() => Png.Decode(WithIdat(png, Deflate(badFilter)))).Message);
    }

    [Fact]
    public void APngWrittenByAnotherToolDecodes()
    {
        // Written by scripts/make_png_fixture.py with Python's zlib and struct: every filter type, two IDATs, a tEXt chunk.
        var (w, h, rgb) = Png.Decode(File.ReadAllBytes(Fixture("python_rgb.png")));
        Assert.Equal((7, 5), (w, h));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = 3 * (y * w + x);
                Assert.Equal((37 * x + 11 * y) % 256, rgb[i]);
                Assert.Equal((5 * x * y + 3) % 256, rgb[i + 1]);
                Assert.Equal(((255 - 19 * x - 23 * y) % 256 + 256) % 256, rgb[i + 2]);
            }
    }

    [Fact]
    public void SaveWritesADecodableFileAtomically()
    {
        var dir = Directory.CreateTempSubdirectory("rebel-png-");
        try
        {
            var path = Path.Combine(dir.FullName, "sub", "a.png");
            var rgb = Pattern(6, 4);
            Png.Save(path, rgb, 6, 4);
            Png.Save(path, rgb, 6, 4);
            Assert.Equal(rgb, Png.Decode(File.ReadAllBytes(path)).Rgb);
            Assert.Single(Directory.GetFiles(Path.Combine(dir.FullName, "sub")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void GridPlacesImagesRowByRowWithPadding()
    {
        byte[] Solid(byte v) => Enumerable.Repeat(v, 3 * 4).ToArray(); // 2 × 2 pixels
        var grid = ImageGrid.Compose([Solid(10), Solid(20), Solid(30)], size: 2, columns: 2, padding: 1);
        Assert.Equal((7, 7), (grid.Width, grid.Height));
        byte At(int x, int y) => grid.Rgb[3 * (y * grid.Width + x)];
        Assert.Equal(255, At(0, 0));
        Assert.Equal(10, At(1, 1));
        Assert.Equal(10, At(2, 2));
        Assert.Equal(255, At(3, 1));
        Assert.Equal(20, At(4, 1));
        Assert.Equal(30, At(1, 4));
        Assert.Equal(255, At(4, 4));
        Assert.Equal(grid.Rgb, Png.Decode(grid.ToPng()).Rgb);
        Assert.Throws<ArgumentException>(() => ImageGrid.Compose([new byte[5]], 2, 1));
    }

    private static string Fixture(string name, [CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "Fixtures", name);

    private static byte[] Deflate(byte[] raw)
    {
        var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        return output.ToArray();
    }

    // The same PNG with its IDAT payload replaced (CRC recomputed), to test checks past the CRC.
    private static byte[] WithIdat(byte[] png, byte[] payload)
    {
        int idatAt = 33;
        int oldLength = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(idatAt));
        var chunk = new byte[12 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, payload.Length);
        "IDAT"u8.CopyTo(chunk.AsSpan(4));
        payload.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + payload.Length), Png.Crc32(chunk.AsSpan(4, 4 + payload.Length)));
        return [.. png[..idatAt], .. chunk, .. png[(idatAt + 12 + oldLength)..]];
    }
}
