// CheckpointFolder: the weights of a Hugging Face model folder (model.safetensors, or an index plus shards, or any
// *.safetensors files) behind one lazy name -> tensor accessor, and the matching folder writer.
namespace Rebel.Models.IO;

/// <summary>Lazy access to every tensor of a model folder. Keeps the weight files open until disposed.</summary>
public sealed class CheckpointFolder : IDisposable
{
    /// <summary>The single-file weight name.</summary>
    public const string SingleFileName = "model.safetensors";

    private readonly Dictionary<string, SafetensorsReader> readerByTensor;
    private readonly List<SafetensorsReader> readers;

    /// <summary>Full path of the folder.</summary>
    public string Directory { get; }

    /// <summary>Full paths of the weight files, in load order.</summary>
    public IReadOnlyList<string> WeightFiles { get; }

    /// <summary>Every tensor name, sorted.</summary>
    public IReadOnlyList<string> TensorNames { get; }

    private CheckpointFolder(string directory, List<SafetensorsReader> readers, Dictionary<string, SafetensorsReader> readerByTensor)
    {
        Directory = directory;
        this.readers = readers;
        this.readerByTensor = readerByTensor;
        WeightFiles = readers.Select(r => r.Path).ToList();
        TensorNames = readerByTensor.Keys.Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Opens the weights of <paramref name="directory"/>: "model.safetensors.index.json" and its shards when present, else
    /// "model.safetensors", else every "*.safetensors" file (a tensor name appearing in two files is an error).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder holds no weights, or the index names a missing shard.</exception>
    /// <exception cref="InvalidDataException">A weight file is malformed, or the index disagrees with the shards.</exception>
    public static CheckpointFolder Open(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full)) throw new DirectoryNotFoundException($"Checkpoint folder not found: {full}");
        var readers = new List<SafetensorsReader>();
        var byTensor = new Dictionary<string, SafetensorsReader>(StringComparer.Ordinal);
        try
        {
            string indexPath = Path.Combine(full, SafetensorsIndex.FileName);
            if (File.Exists(indexPath))
            {
                var index = SafetensorsIndex.Load(indexPath);
                var byFile = new Dictionary<string, SafetensorsReader>(StringComparer.Ordinal);
                foreach (string file in index.ShardFiles)
                {
                    var reader = SafetensorsReader.Open(Path.Combine(full, file));
                    readers.Add(reader);
                    byFile[file] = reader;
                }
                foreach (var (name, file) in index.WeightMap)
                {
                    var reader = byFile[file];
                    if (!reader.Contains(name))
                        throw new InvalidDataException($"{indexPath}: tensor '{name}' is mapped to {file}, which does not contain it.");
                    byTensor[name] = reader;
                }
                // Every tensor of every shard is in the map, so no weight is silently ignored.
                foreach (var (file, reader) in byFile)
                {
                    var unmapped = reader.Tensors.FirstOrDefault(t => !index.WeightMap.TryGetValue(t.Name, out var mapped) || mapped != file);
                    if (unmapped is not null)
                        throw new InvalidDataException($"{indexPath}: shard {file} holds tensor '{unmapped.Name}', which the weight_map does not map to it.");
                }
            }
            else
            {
                string single = Path.Combine(full, SingleFileName);
                IEnumerable<string> files = File.Exists(single)
                    ? [single]
                    : System.IO.Directory.EnumerateFiles(full, "*.safetensors").Order(StringComparer.Ordinal);
                foreach (string file in files)
                {
                    var reader = SafetensorsReader.Open(file);
                    readers.Add(reader);
                    foreach (var info in reader.Tensors)
                    {
                        if (byTensor.TryGetValue(info.Name, out var other))
                            throw new InvalidDataException($"Checkpoint folder {full}: tensor '{info.Name}' is in both {other.Path} and {file}.");
                        byTensor[info.Name] = reader;
                    }
                }
                if (readers.Count == 0) throw new FileNotFoundException($"Checkpoint folder {full} holds no *.safetensors weights.");
            }
            return new CheckpointFolder(full, readers, byTensor);
        }
        catch
        {
            foreach (var r in readers) r.Dispose();
            throw;
        }
    }

    /// <summary>Elements of all tensors together, from the headers (nothing is read): what a configuration's sizes are checked against.</summary>
    public long ElementCount => readerByTensor.Sum(kv => kv.Value.GetInfo(kv.Key).ElementCount);

    /// <summary>
    /// Throws InvalidDataException naming <paramref name="configSource"/> when a configuration that needs at least
    /// <paramref name="minimumParameters"/> parameters is read against these weights, which hold fewer: absurd sizes in a config
    /// file are reported before the model is allocated, not as an OutOfMemoryException.
    /// </summary>
    public void CheckSizes(double minimumParameters, string configSource)
    {
        long held = ElementCount;
        if (minimumParameters > held)
            throw new InvalidDataException($"{configSource}: the configuration describes at least {minimumParameters:0} parameters but the weights in {Directory} hold {held}; its sizes are wrong.");
    }

    /// <summary>True when the checkpoint holds <paramref name="name"/>.</summary>
    public bool Contains(string name) => readerByTensor.ContainsKey(name);

    /// <summary>The header entry (dtype, shape) of a tensor without reading its data.</summary>
    public SafetensorsTensorInfo GetInfo(string name) => ReaderOf(name).GetInfo(name);

    /// <summary>The shape of a tensor without reading its data.</summary>
    public int[] GetShape(string name) => (int[])GetInfo(name).Shape.Clone();

    /// <summary>Reads one tensor as float32.</summary>
    public TensorData Read(string name) => ReaderOf(name).Read(name);

    /// <summary>Reads one tensor into <paramref name="destination"/> (e.g. a parameter's storage).</summary>
    public void ReadInto(string name, Span<float> destination) => ReaderOf(name).ReadInto(name, destination);

    /// <summary>Reads one tensor into <paramref name="destination"/> as bfloat16 bits (a weight held in bf16).</summary>
    public void ReadInto(string name, Span<ushort> destination) => ReaderOf(name).ReadInto(name, destination);

    /// <summary>Reads every tensor.</summary>
    public Dictionary<string, TensorData> ReadAll()
    {
        var result = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (string name in TensorNames) result[name] = Read(name);
        return result;
    }

    /// <summary>Reads config.json of the folder, or null when there is none.</summary>
    public HfConfig? LoadConfig()
    {
        string path = Path.Combine(Directory, HfConfig.FileName);
        return File.Exists(path) ? HfConfig.Load(path) : null;
    }

    /// <summary>Closes the weight files.</summary>
    public void Dispose()
    {
        foreach (var r in readers) r.Dispose();
    }

    /// <summary>Reads every tensor of a folder.</summary>
    public static Dictionary<string, TensorData> LoadAll(string directory)
    {
        using var folder = Open(directory);
        return folder.ReadAll();
    }

    /// <summary>
    /// Saves <paramref name="tensors"/> into <paramref name="directory"/>: one "model.safetensors" when the data fits in
    /// <paramref name="maxShardBytes"/>, else shards plus "model.safetensors.index.json". Every file is written under a
    /// temporary name and renamed; afterwards weight files of an earlier save that the new one does not use are deleted.
    /// </summary>
    public static void Save(
        string directory,
        IReadOnlyDictionary<string, TensorData> tensors,
        SafetensorsDtype dtype = SafetensorsDtype.F32,
        long maxShardBytes = long.MaxValue,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(tensors);
        string full = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(full);
        long total = tensors.Values.Sum(t => SafetensorsWriter.ByteSize(t, dtype));
        var written = new HashSet<string>(StringComparer.Ordinal);
        if (total <= maxShardBytes)
        {
            SafetensorsWriter.Write(Path.Combine(full, SingleFileName), tensors, dtype, metadata);
            File.Delete(Path.Combine(full, SafetensorsIndex.FileName));
            written.Add(SingleFileName);
        }
        else
        {
            var index = SafetensorsIndex.WriteSharded(full, tensors, maxShardBytes, dtype, metadata);
            written.UnionWith(index.ShardFiles);
        }
        foreach (string file in System.IO.Directory.EnumerateFiles(full, "*.safetensors"))
        {
            if (!written.Contains(Path.GetFileName(file))) File.Delete(file);
        }
    }

    private SafetensorsReader ReaderOf(string name) =>
        readerByTensor.TryGetValue(name, out var reader) ? reader : throw new KeyNotFoundException($"Tensor '{name}' is not in checkpoint {Directory}.");
}
