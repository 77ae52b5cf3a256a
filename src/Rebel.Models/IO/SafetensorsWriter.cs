// SafetensorsWriter: writes named float32 tensors as a .safetensors file (F32 or BF16), sorted by name, header padded
// to 8 bytes, through a temporary file that is renamed into place so a reader never sees a half-written checkpoint.
using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;

namespace Rebel.Models.IO;

/// <summary>Writes safetensors files.</summary>
public static class SafetensorsWriter
{
    private const int ChunkElements = 1 << 18;

    /// <summary>The metadata PyTorch-side loaders expect: {"format": "pt"}.</summary>
    public static IReadOnlyDictionary<string, string> PyTorchMetadata { get; } = new Dictionary<string, string> { ["format"] = "pt" };

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> as <paramref name="dtype"/> (F32 or BF16; BF16 rounds to
    /// nearest even). <paramref name="metadata"/> defaults to {"format": "pt"}; pass an empty map for none.
    /// The file is written under a temporary name in the same folder and then renamed over <paramref name="path"/>.
    /// </summary>
    public static void Write(
        string path,
        IReadOnlyDictionary<string, TensorData> tensors,
        SafetensorsDtype dtype = SafetensorsDtype.F32,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (dtype is not (SafetensorsDtype.F32 or SafetensorsDtype.BF16))
            throw new NotSupportedException($"SafetensorsWriter: cannot write {SafetensorsDtypes.Name(dtype)}; use F32 or BF16.");
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        foreach (string name in names)
        {
            var t = tensors[name];
            if (name.Length == 0 || name == "__metadata__") throw new ArgumentException($"SafetensorsWriter: invalid tensor name '{name}'.");
            if (t.ElementCount != t.Data.Length)
                throw new ArgumentException($"SafetensorsWriter: tensor '{name}' has shape {SafetensorsReader.Format(t.Shape)} but {t.Data.Length} values.");
        }
        byte[] header = BuildHeader(names, tensors, dtype, metadata ?? PyTorchMetadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            int elementSize = SafetensorsDtypes.Size(dtype);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkElements * elementSize);
            try
            {
                foreach (string name in names)
                {
                    float[] data = tensors[name].Data;
                    for (int start = 0; start < data.Length; start += ChunkElements)
                    {
                        int count = Math.Min(ChunkElements, data.Length - start);
                        var bytes = buffer.AsSpan(0, count * elementSize);
                        SafetensorsDtypes.Encode(dtype, data.AsSpan(start, count), bytes);
                        stream.Write(bytes);
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        });
    }

    /// <summary>Bytes a tensor takes in the data section when written as <paramref name="dtype"/>.</summary>
    public static long ByteSize(TensorData tensor, SafetensorsDtype dtype)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.ElementCount * SafetensorsDtypes.Size(dtype);
    }

    private static byte[] BuildHeader(List<string> names, IReadOnlyDictionary<string, TensorData> tensors, SafetensorsDtype dtype, IReadOnlyDictionary<string, string> metadata)
    {
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            if (metadata.Count > 0)
            {
                w.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(key, value);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (string name in names)
            {
                var t = tensors[name];
                long size = ByteSize(t, dtype);
                w.WriteStartObject(name);
                w.WriteString("dtype", SafetensorsDtypes.Name(dtype));
                w.WriteStartArray("shape");
                foreach (int d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + size);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += size;
            }
            w.WriteEndObject();
        }
        int length = (int)json.Length;
        int padded = (length + 7) / 8 * 8;
        var header = new byte[padded];
        json.GetBuffer().AsSpan(0, length).CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }
}
