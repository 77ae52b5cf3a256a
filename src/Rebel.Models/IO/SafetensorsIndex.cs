// SafetensorsIndex: the "model.safetensors.index.json" of a sharded checkpoint, and the writer that splits tensors into shards.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rebel.Models.IO;

/// <summary>A sharded checkpoint's index: which shard file holds each tensor.</summary>
public sealed class SafetensorsIndex
{
    /// <summary>The conventional index file name.</summary>
    public const string FileName = "model.safetensors.index.json";

    /// <summary>Tensor name to shard file name (relative to the index's folder).</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary>"metadata.total_size": total bytes of tensor data, when present.</summary>
    public long? TotalSize { get; }

    /// <summary>Creates an index.</summary>
    public SafetensorsIndex(IReadOnlyDictionary<string, string> weightMap, long? totalSize)
    {
        ArgumentNullException.ThrowIfNull(weightMap);
        WeightMap = weightMap;
        TotalSize = totalSize;
    }

    /// <summary>The distinct shard files, sorted.</summary>
    public IReadOnlyList<string> ShardFiles => WeightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>Reads an index file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid index.</exception>
    public static SafetensorsIndex Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"Safetensors index not found: {full}", full);
        var root = JsonFiles.ParseNode(File.ReadAllBytes(full), $"Invalid safetensors index {full}");
        if (root is not JsonObject obj || obj["weight_map"] is not JsonObject map)
            throw new InvalidDataException($"Invalid safetensors index {full}: missing object \"weight_map\".");
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, file) in map)
        {
            if (file is not JsonValue v || !v.TryGetValue(out string? fileName) || fileName.Length == 0)
                throw new InvalidDataException($"Invalid safetensors index {full}: weight_map entry \"{name}\" is not a file name.");
            if (Path.IsPathRooted(fileName) || fileName.Contains("..", StringComparison.Ordinal))
                throw new InvalidDataException($"Invalid safetensors index {full}: weight_map entry \"{name}\" points outside the folder ({fileName}).");
            weightMap[name] = fileName;
        }
        long? totalSize = null;
        if (obj["metadata"] is JsonObject meta && meta["total_size"] is JsonValue total)
        {
            if (total.TryGetValue(out long l)) totalSize = l;
            else if (total.TryGetValue(out double d)) totalSize = (long)d;
        }
        return new SafetensorsIndex(weightMap, totalSize);
    }

    /// <summary>Writes the index as JSON (atomically).</summary>
    public void Save(string path)
    {
        var map = new JsonObject();
        foreach (var (name, file) in WeightMap.OrderBy(kv => kv.Key, StringComparer.Ordinal)) map[name] = file;
        var metadata = new JsonObject();
        if (TotalSize is long total) metadata["total_size"] = total;
        var root = new JsonObject { ["metadata"] = metadata, ["weight_map"] = map };
        AtomicFile.WriteText(path, root.ToJsonString(JsonFiles.Indented) + "\n");
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> into <paramref name="directory"/> as shards "model-00001-of-0000N.safetensors" of at most
    /// <paramref name="maxShardBytes"/> data bytes each (a single larger tensor gets a shard of its own), plus the index.
    /// Tensors are packed in name order. Returns the index.
    /// </summary>
    public static SafetensorsIndex WriteSharded(
        string directory,
        IReadOnlyDictionary<string, TensorData> tensors,
        long maxShardBytes,
        SafetensorsDtype dtype = SafetensorsDtype.F32,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShardBytes, 1);
        var shards = new List<Dictionary<string, TensorData>>();
        var current = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        long currentBytes = 0, totalBytes = 0;
        foreach (string name in tensors.Keys.Order(StringComparer.Ordinal))
        {
            long size = SafetensorsWriter.ByteSize(tensors[name], dtype);
            if (current.Count > 0 && currentBytes + size > maxShardBytes)
            {
                shards.Add(current);
                current = new Dictionary<string, TensorData>(StringComparer.Ordinal);
                currentBytes = 0;
            }
            current[name] = tensors[name];
            currentBytes += size;
            totalBytes += size;
        }
        if (current.Count > 0 || shards.Count == 0) shards.Add(current);

        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            string file = ShardFileName(i + 1, shards.Count);
            SafetensorsWriter.Write(Path.Combine(directory, file), shards[i], dtype, metadata);
            foreach (string name in shards[i].Keys) weightMap[name] = file;
        }
        var index = new SafetensorsIndex(weightMap, totalBytes);
        index.Save(Path.Combine(directory, FileName));
        return index;
    }

    /// <summary>The Hugging Face shard name, e.g. "model-00002-of-00003.safetensors".</summary>
    public static string ShardFileName(int shard, int count) => $"model-{shard:D5}-of-{count:D5}.safetensors";
}
