// SafetensorsReader: parses a .safetensors file (u64 little-endian header length, JSON header, raw little-endian bytes)
// and reads tensors on demand with positional reads, so a multi-GB file is never held in memory as bytes.
using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace Rebel.Models.IO;

/// <summary>One tensor entry of a safetensors header. Offsets are relative to the start of the data section.</summary>
public sealed record SafetensorsTensorInfo(string Name, SafetensorsDtype Dtype, int[] Shape, long Begin, long End)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount => SafetensorsDtypes.ElementCount(Shape);

    /// <summary>Size in bytes in the file (End - Begin).</summary>
    public long ByteLength => End - Begin;
}

/// <summary>Reads tensors from one safetensors file. Keeps the file open until disposed; reads are thread-safe.</summary>
public sealed class SafetensorsReader : IDisposable
{
    /// <summary>Largest header accepted (the reference implementation's limit is 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const int ChunkBytes = 1 << 20;

    private readonly SafeFileHandle handle;
    private readonly Dictionary<string, SafetensorsTensorInfo> byName;

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>The optional "__metadata__" string map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>All tensor entries in header order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>Absolute file offset where the data section starts (8 + header length).</summary>
    public long DataStart { get; }

    private SafetensorsReader(string path, SafeFileHandle handle, long dataStart, List<SafetensorsTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        this.handle = handle;
        DataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
        byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Opens and validates the header of <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The header is malformed or disagrees with the file size.</exception>
    public static SafetensorsReader Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"Safetensors file not found: {full}", full);
        var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            long fileLength = RandomAccess.GetLength(handle);
            if (fileLength < 8) throw Bad(full, $"file is {fileLength} bytes, too short for the 8-byte header length");
            Span<byte> lengthBytes = stackalloc byte[8];
            ReadExactly(handle, lengthBytes, 0, full);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if (headerLength > (ulong)(fileLength - 8))
                throw Bad(full, $"header length {headerLength} runs past the end of the file ({fileLength} bytes)");
            if (headerLength > MaxHeaderBytes) throw Bad(full, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
            var header = new byte[(int)headerLength];
            ReadExactly(handle, header, 8, full);
            if (header.Length == 0 || header[0] != (byte)'{') throw Bad(full, "the header does not start with '{' (the header length is wrong)");
            long dataStart = 8 + (long)headerLength;
            var (tensors, metadata) = ParseHeader(header, fileLength - dataStart, full);
            return new SafetensorsReader(full, handle, dataStart, tensors, metadata);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Reads every tensor of <paramref name="path"/> into memory as float32.</summary>
    public static Dictionary<string, TensorData> ReadAll(string path)
    {
        using var reader = Open(path);
        var result = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var info in reader.Tensors) result[info.Name] = reader.Read(info.Name);
        return result;
    }

    /// <summary>True when the file holds a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => byName.ContainsKey(name);

    /// <summary>The header entry of <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    public SafetensorsTensorInfo GetInfo(string name) =>
        byName.TryGetValue(name, out var info) ? info : throw new KeyNotFoundException($"Tensor '{name}' is not in {Path}.");

    /// <summary>Reads a tensor, converted to float32.</summary>
    public TensorData Read(string name)
    {
        var info = GetInfo(name);
        long n = info.ElementCount;
        if (n > Array.MaxLength) throw new InvalidDataException($"{Path}: tensor '{name}' has {n} elements, more than a float[] can hold.");
        var data = new float[n];
        ReadInto(info, data);
        return new TensorData((int[])info.Shape.Clone(), data);
    }

    /// <summary>Reads a tensor, converted to float32, into <paramref name="destination"/> (length must equal the element count).</summary>
    public void ReadInto(string name, Span<float> destination) => ReadInto(GetInfo(name), destination);

    /// <summary>
    /// Reads a tensor into <paramref name="destination"/> as bfloat16 bits, rounded to nearest even (exact for a BF16 tensor):
    /// for weights held in bf16 (<c>Tensor.FreezeToBf16Storage</c>) without a float32 copy of the whole tensor.
    /// </summary>
    public void ReadInto(string name, Span<ushort> destination) => ReadInto(GetInfo(name), [], destination);

    // Decodes chunk by chunk into `destination`, or, when `narrowed` is given instead, into a chunk of floats narrowed to bf16 there.
    private void ReadInto(SafetensorsTensorInfo info, Span<float> destination, Span<ushort> narrowed = default)
    {
        bool toBf16 = destination.IsEmpty && !narrowed.IsEmpty;
        int length = toBf16 ? narrowed.Length : destination.Length;
        if (length != info.ElementCount)
            throw new ArgumentException($"{Path}: tensor '{info.Name}' has {info.ElementCount} elements, destination holds {length}.");
        int elementSize = SafetensorsDtypes.Size(info.Dtype);
        int perChunk = ChunkBytes / elementSize;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        float[]? floats = toBf16 ? ArrayPool<float>.Shared.Rent(perChunk) : null;
        try
        {
            long position = DataStart + info.Begin;
            for (int start = 0; start < length; start += perChunk)
            {
                int count = Math.Min(perChunk, length - start);
                var bytes = buffer.AsSpan(0, count * elementSize);
                ReadExactly(handle, bytes, position, Path, info.Name);
                var decoded = toBf16 ? floats.AsSpan(0, count) : destination.Slice(start, count);
                SafetensorsDtypes.Decode(info.Dtype, bytes, decoded);
                if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(decoded)) throw NonFinite(info, decoded, start);
                if (toBf16) Rebel.Tensors.Kernels.Bf16.Narrow(decoded, narrowed.Slice(start, count));
                position += bytes.Length;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (floats is not null) ArrayPool<float>.Shared.Return(floats);
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => handle.Dispose();

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset, string path, string? tensor = null)
    {
        while (buffer.Length > 0)
        {
            int read = RandomAccess.Read(handle, buffer, offset);
            if (read == 0)
            {
                string what = tensor is null ? "the header" : $"tensor '{tensor}'";
                throw Bad(path, $"unexpected end of file while reading {what} at offset {offset} (the file is truncated)");
            }
            buffer = buffer[read..];
            offset += read;
        }
    }

    // Weights are finite by construction; NaN or ±∞ on disk is corruption, named here rather than at the first sampling step.
    private InvalidDataException NonFinite(SafetensorsTensorInfo info, ReadOnlySpan<float> chunk, int start)
    {
        int i = 0;
        while (float.IsFinite(chunk[i])) i++;
        return Bad(Path, $"tensor '{info.Name}' holds a non-finite value ({chunk[i]}) at element {start + i}");
    }

    private static InvalidDataException Bad(string path, string message) => new($"Invalid safetensors file {path}: {message}.");

    private static (List<SafetensorsTensorInfo>, Dictionary<string, string>) ParseHeader(byte[] header, long dataLength, string path)
    {
        var document = JsonFiles.ParseDocument(header.AsMemory().TrimEnd((byte)' '), $"Invalid safetensors file {path}: header", JsonFiles.Strict);
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad(path, $"the header is a JSON {root.ValueKind}, expected an object");
            var tensors = new List<SafetensorsTensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    ParseMetadata(property.Value, metadata, path);
                    continue;
                }
                tensors.Add(ParseEntry(property.Name, property.Value, dataLength, path));
            }
            CheckCoverage(tensors, dataLength, path);
            return (tensors, metadata);
        }
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string path)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object) throw Bad(path, "\"__metadata__\" must be an object of strings");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String) throw Bad(path, $"\"__metadata__\" value of \"{item.Name}\" is not a string");
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static SafetensorsTensorInfo ParseEntry(string name, JsonElement entry, long dataLength, string path)
    {
        string where = $"tensor '{name}'";
        if (entry.ValueKind != JsonValueKind.Object) throw Bad(path, $"{where}: entry is a JSON {entry.ValueKind}, expected an object");
        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad(path, $"{where}: missing string \"dtype\"");
        string dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDtypes.TryParse(dtypeName, out var dtype)) throw Bad(path, $"{where}: unknown dtype \"{dtypeName}\"");
        if (!entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Bad(path, $"{where}: missing array \"shape\"");
        var shape = new int[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out shape[i]) || shape[i] < 0)
                throw Bad(path, $"{where}: shape {shapeElement.GetRawText()} is not a list of non-negative 32-bit integers");
            i++;
        }
        if (!entry.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end))
            throw Bad(path, $"{where}: \"data_offsets\" must be [begin, end], two integers");
        if (begin < 0 || end < begin) throw Bad(path, $"{where}: data_offsets [{begin}, {end}] are not an increasing pair");
        if (end > dataLength)
            throw Bad(path, $"{where}: data_offsets [{begin}, {end}] run past the end of the data section ({dataLength} bytes; the file is truncated)");
        long count;
        try
        {
            count = SafetensorsDtypes.ElementCount(shape);
            long expected = checked(count * SafetensorsDtypes.Size(dtype));
            if (expected != end - begin)
                throw Bad(path, $"{where}: shape {Format(shape)} of {dtypeName} needs {expected} bytes but data_offsets [{begin}, {end}] hold {end - begin}");
        }
        catch (OverflowException)
        {
            throw Bad(path, $"{where}: shape {Format(shape)} is too large");
        }
        return new SafetensorsTensorInfo(name, dtype, shape, begin, end);
    }

    // As the reference implementation: sorted by offset, each tensor starts where the previous one ends (the first at 0),
    // and the last one ends where the file does, so every data byte belongs to exactly one tensor.
    private static void CheckCoverage(List<SafetensorsTensorInfo> tensors, long dataLength, string path)
    {
        long expected = 0;
        SafetensorsTensorInfo? previous = null;
        foreach (var t in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin != expected)
            {
                string after = previous is null ? "the start of the data section" : $"tensor '{previous.Name}' [{previous.Begin}, {previous.End}]";
                string fault = t.Begin < expected ? "overlap" : "leave a gap after";
                throw Bad(path, $"tensor '{t.Name}' data_offsets [{t.Begin}, {t.End}] {fault} {after}");
            }
            expected = t.End;
            previous = t;
        }
        if (expected != dataLength)
            throw Bad(path, $"the tensors cover {expected} bytes of the {dataLength}-byte data section (the header length or the offsets are wrong)");
    }

    internal static string Format(int[] shape) => "[" + string.Join(", ", shape) + "]";
}
