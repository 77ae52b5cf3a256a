// PNG writer and reader for 8-bit RGB images: chunks with CRC-32, scanline filters, and a zlib stream (System.IO.Compression).
// The encoder picks a filter per row (minimum sum of absolute values, libpng's heuristic); the decoder checks everything it reads.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Rebel.Models.IO;

namespace Rebel.Training.Images.Data;

/// <summary>Encodes and decodes PNG files (8-bit RGB out; 8-bit greyscale, RGB and RGBA in).</summary>
public static class Png
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>
    /// A PNG of <paramref name="width"/> × <paramref name="height"/> pixels from (H, W, 3) RGB bytes: IHDR, one IDAT compressed with
    /// zlib at <see cref="CompressionLevel.SmallestSize"/>, IEND. The same pixels always give the same bytes.
    /// </summary>
    public static byte[] Encode(ReadOnlySpan<byte> rgb, int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"PNG size {width}×{height} must be positive.");
        if (rgb.Length != 3 * width * height) throw new ArgumentException($"PNG: expected 3·{width}·{height} = {3 * width * height} RGB bytes, got {rgb.Length}.", nameof(rgb));
        var output = new MemoryStream();
        output.Write(Signature);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // colour type RGB; compression, filter and interlace methods stay 0
        WriteChunk(output, "IHDR", header);
        WriteChunk(output, "IDAT", Deflate(rgb, width, height));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>Encodes and writes atomically (a temporary file, then a rename; see <see cref="AtomicFile"/>).</summary>
    public static void Save(string path, ReadOnlySpan<byte> rgb, int width, int height)
    {
        var bytes = Encode(rgb, width, height);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>
    /// Decodes a PNG to (H, W, 3) RGB bytes. Verifies the signature, the IHDR, every chunk's CRC and the zlib stream; accepts 8-bit
    /// greyscale, RGB and RGBA (alpha dropped), not interlaced. Throws InvalidDataException saying what is wrong.
    /// </summary>
    public static (int W, int H, byte[] Rgb) Decode(byte[] png)
    {
        ArgumentNullException.ThrowIfNull(png);
        if (png.Length < Signature.Length || !png.AsSpan(0, Signature.Length).SequenceEqual(Signature))
            throw new InvalidDataException("PNG: the file does not start with the PNG signature.");
        int width = 0, height = 0, channels = 0;
        var idat = new MemoryStream();
        int offset = Signature.Length;
        bool ended = false;
        while (!ended)
        {
            if (offset + 12 > png.Length) throw new InvalidDataException($"PNG: truncated at byte {offset} (no IEND chunk).");
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            if (length < 0 || offset + 12L + length > png.Length) throw new InvalidDataException($"PNG: chunk at byte {offset} claims {length} bytes, past the end of the file.");
            string type = Encoding.ASCII.GetString(png, offset + 4, 4);
            var typeAndData = png.AsSpan(offset + 4, 4 + length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + length));
            uint actual = Crc32(typeAndData);
            if (stored != actual) throw new InvalidDataException($"PNG: CRC mismatch in chunk '{type}' at byte {offset} (stored 0x{stored:X8}, computed 0x{actual:X8}); the file is corrupted.");
            var data = typeAndData[4..];
            bool first = offset == Signature.Length;
            if (first != (type == "IHDR")) throw new InvalidDataException($"PNG: the first chunk must be IHDR, found '{type}' at byte {offset}.");
            switch (type)
            {
                case "IHDR": (width, height, channels) = ReadHeader(data); break;
                case "IDAT": idat.Write(data); break;
                case "IEND": ended = true; break;
                default:
                    if (char.IsUpper(type[0])) throw new InvalidDataException($"PNG: unsupported critical chunk '{type}'.");
                    break;
            }
            offset += 12 + length;
        }
        var raw = Inflate(idat.ToArray(), (1 + width * channels) * height);
        return (width, height, Unfilter(raw, width, height, channels));
    }

    /// <summary>The CRC-32 (ISO 3309, polynomial 0xEDB88320) PNG stores after each chunk, over its type and data.</summary>
    public static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in bytes) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        var typeAndData = new byte[4 + data.Length];
        Encoding.ASCII.GetBytes(type, typeAndData);
        data.CopyTo(typeAndData.AsSpan(4));
        output.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        output.Write(word);
    }

    private static (int Width, int Height, int Channels) ReadHeader(ReadOnlySpan<byte> data)
    {
        if (data.Length != 13) throw new InvalidDataException($"PNG: IHDR has {data.Length} bytes, expected 13.");
        int width = BinaryPrimitives.ReadInt32BigEndian(data);
        int height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
        if (width <= 0 || height <= 0 || (long)width * height > 1 << 26) throw new InvalidDataException($"PNG: unsupported size {width}×{height}.");
        int channels = data[9] switch { 0 => 1, 2 => 3, 6 => 4, _ => 0 };
        if (data[8] != 8 || channels == 0)
            throw new InvalidDataException($"PNG: bit depth {data[8]} with colour type {data[9]} is not supported (only 8-bit greyscale, RGB, RGBA).");
        if (data[10] != 0 || data[11] != 0) throw new InvalidDataException($"PNG: unknown compression method {data[10]} or filter method {data[11]}.");
        if (data[12] != 0) throw new InvalidDataException("PNG: interlaced images are not supported.");
        return (width, height, channels);
    }

    private static byte[] Deflate(ReadOnlySpan<byte> rgb, int width, int height)
    {
        int stride = 3 * width;
        var filtered = new byte[(1 + stride) * height];
        var candidate = new byte[stride];
        var prior = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            var row = rgb.Slice(y * stride, stride);
            var best = filtered.AsSpan(y * (1 + stride), 1 + stride);
            long bestCost = long.MaxValue;
            for (byte type = 0; type <= 4; type++)
            {
                PngFilter.Apply(type, row, prior, 3, candidate);
                long cost = 0;
                foreach (byte b in candidate) cost += Math.Abs((int)(sbyte)b);
                if (cost >= bestCost) continue;
                bestCost = cost;
                best[0] = type;
                candidate.CopyTo(best[1..]);
            }
            row.CopyTo(prior);
        }
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(filtered);
        return compressed.ToArray();
    }

    private static byte[] Inflate(byte[] zlib, int expected)
    {
        var raw = new byte[expected];
        int read;
        try
        {
            using var z = new ZLibStream(new MemoryStream(zlib), CompressionMode.Decompress);
            z.ReadExactly(raw);
            read = z.Read(new byte[1]);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new InvalidDataException($"PNG: the IDAT zlib stream is corrupt or shorter than the {expected} bytes the header implies ({e.Message}).", e);
        }
        if (read != 0) throw new InvalidDataException($"PNG: the IDAT zlib stream holds more than the {expected} bytes the header implies.");
        return raw;
    }

    private static byte[] Unfilter(byte[] raw, int width, int height, int channels)
    {
        int stride = channels * width;
        var pixels = new byte[stride * height];
        var prior = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            byte type = raw[y * (1 + stride)];
            if (type > 4) throw new InvalidDataException($"PNG: unknown filter type {type} on row {y}.");
            var row = pixels.AsSpan(y * stride, stride);
            PngFilter.Undo(type, raw.AsSpan(y * (1 + stride) + 1, stride), prior, channels, row);
            row.CopyTo(prior);
        }
        if (channels == 3) return pixels;
        var rgb = new byte[3 * width * height];
        for (int i = 0; i < width * height; i++)
            for (int c = 0; c < 3; c++) rgb[3 * i + c] = pixels[i * channels + (channels == 1 ? 0 : c)];
        return rgb;
    }
}
