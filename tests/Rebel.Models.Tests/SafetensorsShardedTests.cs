// Sharded checkpoints and checkpoint folders: split by size, index, read back, and atomic saves.
using Rebel.Models.IO;

namespace Rebel.Models.Tests;

public sealed class SafetensorsShardedTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private static Dictionary<string, TensorData> Tensors(int count, int size)
    {
        var result = new Dictionary<string, TensorData>();
        for (int i = 0; i < count; i++)
            result[$"model.layers.{i}.weight"] = new([size], Enumerable.Range(0, size).Select(j => i * 1000f + j).ToArray());
        return result;
    }

    [Fact]
    public void Sharded_write_splits_by_size_and_reads_back()
    {
        var tensors = Tensors(5, 10); // 40 bytes each in F32
        var index = SafetensorsIndex.WriteSharded(temp.Path, tensors, maxShardBytes: 100);

        Assert.Equal(["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"], index.ShardFiles);
        Assert.Equal(200, index.TotalSize);
        var loaded = SafetensorsIndex.Load(temp.File(SafetensorsIndex.FileName));
        Assert.Equal(index.WeightMap.OrderBy(kv => kv.Key), loaded.WeightMap.OrderBy(kv => kv.Key));

        using var folder = CheckpointFolder.Open(temp.Path);
        Assert.Equal(3, folder.WeightFiles.Count);
        var all = folder.ReadAll();
        Assert.Equal(tensors.Keys.Order(), all.Keys.Order());
        foreach (var (name, t) in tensors) Assert.Equal(t.Data, all[name].Data);
    }

    [Fact]
    public void Tensor_larger_than_shard_size_gets_its_own_shard()
    {
        var tensors = new Dictionary<string, TensorData> { ["a"] = new([100], new float[100]), ["b"] = new([1], [1f]) };
        var index = SafetensorsIndex.WriteSharded(temp.Path, tensors, maxShardBytes: 16);
        Assert.Equal(2, index.ShardFiles.Count);
        Assert.Equal("model-00001-of-00002.safetensors", index.WeightMap["a"]);
    }

    [Fact]
    public void Folder_save_switches_between_single_and_sharded_without_stale_files()
    {
        var tensors = Tensors(4, 8);
        CheckpointFolder.Save(temp.Path, tensors, maxShardBytes: 64);
        Assert.True(File.Exists(temp.File(SafetensorsIndex.FileName)));
        Assert.Equal(2, Directory.GetFiles(temp.Path, "*.safetensors").Length);

        CheckpointFolder.Save(temp.Path, tensors, SafetensorsDtype.BF16);
        Assert.False(File.Exists(temp.File(SafetensorsIndex.FileName)));
        Assert.Equal([temp.File("model.safetensors")], Directory.GetFiles(temp.Path, "*.safetensors"));
        Assert.Empty(Directory.GetFiles(temp.Path, "*tmp*", SearchOption.AllDirectories));

        using var folder = CheckpointFolder.Open(temp.Path);
        Assert.Equal(SafetensorsDtype.BF16, folder.GetInfo("model.layers.3.weight").Dtype);
        Assert.Equal([8], folder.GetShape("model.layers.3.weight"));
        var expected = tensors["model.layers.3.weight"].Data.Select(x => SafetensorsDtypes.BFloat16ToSingle(SafetensorsDtypes.SingleToBFloat16(x)));
        Assert.Equal(expected, folder.Read("model.layers.3.weight").Data);
    }

    [Fact]
    public void Folder_of_loose_safetensors_files_is_merged()
    {
        SafetensorsWriter.Write(temp.File("a.safetensors"), new Dictionary<string, TensorData> { ["x"] = new([1], [1f]) });
        SafetensorsWriter.Write(temp.File("b.safetensors"), new Dictionary<string, TensorData> { ["y"] = new([1], [2f]) });
        var all = CheckpointFolder.LoadAll(temp.Path);
        Assert.Equal([2f], all["y"].Data);
        Assert.Equal(2, all.Count);
    }

    [Fact]
    public void Duplicate_tensor_across_loose_files_is_invalid_data()
    {
        SafetensorsWriter.Write(temp.File("a.safetensors"), new Dictionary<string, TensorData> { ["x"] = new([1], [1f]) });
        SafetensorsWriter.Write(temp.File("b.safetensors"), new Dictionary<string, TensorData> { ["x"] = new([1], [2f]) });
        var e = Assert.Throws<InvalidDataException>(() => CheckpointFolder.Open(temp.Path));
        Assert.Contains("'x'", e.Message);
    }

    [Fact]
    public void Index_naming_a_missing_shard_is_file_not_found()
    {
        SafetensorsIndex.WriteSharded(temp.Path, Tensors(3, 4), maxShardBytes: 16);
        File.Delete(temp.File("model-00002-of-00003.safetensors"));
        var e = Assert.Throws<FileNotFoundException>(() => CheckpointFolder.Open(temp.Path));
        Assert.Contains("model-00002-of-00003.safetensors", e.Message);
    }

    [Fact]
    public void Index_mapping_a_tensor_to_the_wrong_shard_is_invalid_data()
    {
        SafetensorsIndex.WriteSharded(temp.Path, Tensors(2, 4), maxShardBytes: 16);
        var map = new Dictionary<string, string> { ["model.layers.0.weight"] = "model-00002-of-00002.safetensors" };
        new SafetensorsIndex(map, null).Save(temp.File(SafetensorsIndex.FileName));
        var e = Assert.Throws<InvalidDataException>(() => CheckpointFolder.Open(temp.Path));
        Assert.Contains("model.layers.0.weight", e.Message);
    }

    [Fact]
    public void Empty_or_missing_folder_is_reported()
    {
        Assert.Throws<FileNotFoundException>(() => CheckpointFolder.Open(temp.Path));
        Assert.Throws<DirectoryNotFoundException>(() => CheckpointFolder.Open(temp.File("missing")));
    }

    [Fact]
    public void Named_parameters_save_and_load_into_tensors()
    {
        var w = Rebel.Tensors.Tensor.Parameter([1f, 2f, 3f, 4f, 5f, 6f], [2, 3], "lm_head.weight");
        var b = Rebel.Tensors.Tensor.Parameter([0.5f], [1], "bias");
        CheckpointFolder.Save(temp.Path, TensorData.FromNamed([w, b]));
        using var folder = CheckpointFolder.Open(temp.Path);
        var loaded = folder.Read("lm_head.weight").ToParameter("lm_head.weight");
        Assert.Equal(w.Shape, loaded.Shape);
        Assert.Equal(w.ToArray(), loaded.ToArray());
        var target = new float[1];
        folder.ReadInto("bias", target);
        Assert.Equal([0.5f], target);
        Assert.Throws<ArgumentException>(() => TensorData.FromNamed([w, w]));
    }

    [Fact]
    public void Missing_tensor_is_key_not_found_naming_it()
    {
        CheckpointFolder.Save(temp.Path, Tensors(1, 2));
        using var folder = CheckpointFolder.Open(temp.Path);
        var e = Assert.Throws<KeyNotFoundException>(() => folder.Read("lm_head.weight"));
        Assert.Contains("lm_head.weight", e.Message);
    }
}
