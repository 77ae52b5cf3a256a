// Regression tests for the classes of bad input a fuzzing run found escaping as raw runtime exceptions or loading silently
// (issue 18): each must now be an InvalidDataException that names the file.
using System.Buffers.Binary;
using System.Text;
using Rebel.Models.Diffusion;
using Rebel.Models.IO;
using Rebel.Models.Pretrained;
using Rebel.Models.Tokenization;

namespace Rebel.Models.Tests;

public sealed class MalformedInputTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Duplicate_key_in_config_json_is_reported_at_parse_time_naming_the_file()
    {
        string path = Write("config.json", """{"n_layer": 2, "n_embd": 8, "n_layer": 3}""");
        var e = Assert.Throws<InvalidDataException>(() => HfConfig.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("n_layer", e.Message);
    }

    [Fact]
    public void Duplicate_vocabulary_entry_in_tokenizer_json_names_the_file()
    {
        string path = Write("tokenizer.json", """{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "a": 2}, "merges": []}}""");
        var e = Assert.Throws<InvalidDataException>(() => BpeTokenizer.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Duplicate_added_token_key_names_the_file()
    {
        string path = Write("tokenizer.json", """{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "added_tokens": [{"id": 1, "id": 2, "content": "<s>"}]}""");
        var e = Assert.Throws<InvalidDataException>(() => BpeTokenizer.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Duplicate_weight_map_entry_names_the_index()
    {
        string path = Write(SafetensorsIndex.FileName, """{"weight_map": {"w": "a.safetensors", "w": "b.safetensors"}}""");
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsIndex.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Shard_tensor_missing_from_the_weight_map_names_the_index()
    {
        var tensors = new Dictionary<string, TensorData> { ["a"] = new([2], [1f, 2f]), ["b"] = new([2], [3f, 4f]), ["c"] = new([2], [5f, 6f]) };
        CheckpointFolder.Save(temp.Path, tensors, maxShardBytes: 16);
        string path = temp.File(SafetensorsIndex.FileName);
        var index = SafetensorsIndex.Load(path);
        new SafetensorsIndex(index.WeightMap.Where(kv => kv.Key != "b").ToDictionary(), index.TotalSize).Save(path);
        var e = Assert.Throws<InvalidDataException>(() => CheckpointFolder.Open(temp.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'b'", e.Message);
    }

    [Fact]
    public void Vocabulary_id_far_out_of_range_is_rejected_before_any_table_is_allocated()
    {
        string path = Write("tokenizer.json", """{"model": {"type": "BPE", "vocab": {"a": 0, "b": 2147483647}, "merges": []}}""");
        var e = Assert.Throws<InvalidDataException>(() => BpeTokenizer.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("token id 2147483647 is out of range", e.Message);
    }

    [Fact]
    public void Lone_surrogate_escape_is_rejected_at_parse_time()
    {
        string path = Write("config.json", """{"model_type": "gpt2", "name": "\ud800x"}""");
        var e = Assert.Throws<InvalidDataException>(() => HfConfig.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Invalid_utf8_in_a_json_file_names_the_file_and_line()
    {
        string path = temp.File("config.json");
        File.WriteAllBytes(path, [.. "{\n\"a\": \""u8, 0xC3, 0x28, .. "\"}"u8]);
        var e = Assert.Throws<InvalidDataException>(() => HfConfig.Load(path));
        Assert.Contains($"{path}:2: not valid UTF-8", e.Message);
    }

    [Fact]
    public void Chat_message_content_that_is_a_number_is_invalid_data() =>
        Assert.Throws<InvalidDataException>(() => ChatTemplate.ParseMessages("""[{"role": "user", "content": 5}]"""));

    [Fact]
    public void Safetensors_offset_given_as_a_string_is_invalid_data() =>
        AssertInvalidSafetensors(Safetensors("""{"w": {"dtype": "F32", "shape": [1], "data_offsets": ["0", 4]}}""", 4), "data_offsets");

    [Fact]
    public void Safetensors_header_with_invalid_utf8_is_invalid_data()
    {
        var bytes = Safetensors("""{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "__metadata__": {"k": "vv"}}""", 4);
        int at = Encoding.ASCII.GetString(bytes).IndexOf("vv", StringComparison.Ordinal);
        bytes[at] = 0xFF;
        AssertInvalidSafetensors(bytes, "not valid UTF-8");
    }

    [Fact]
    public void Safetensors_header_length_one_byte_short_is_rejected()
    {
        string path = temp.File("model.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, TensorData> { ["w"] = new([2], [1f, 2f]) });
        var bytes = File.ReadAllBytes(path);
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal((byte)' ', bytes[8 + (int)length - 1]);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, length - 1);
        AssertInvalidSafetensors(bytes, "cover");
    }

    [Fact]
    public void Safetensors_gap_between_tensors_is_rejected() =>
        AssertInvalidSafetensors(Safetensors("""{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}""", 12), "gap");

    [Fact]
    public void Non_finite_weight_names_the_tensor_and_the_file()
    {
        string path = temp.File("model.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, TensorData> { ["layer.weight"] = new([3], [1f, float.NaN, 2f]) });
        using var reader = SafetensorsReader.Open(path);
        var e = Assert.Throws<InvalidDataException>(() => reader.Read("layer.weight"));
        Assert.Contains(path, e.Message);
        Assert.Contains("'layer.weight'", e.Message);
        Assert.Contains("element 1", e.Message);
    }

    [Theory]
    [InlineData("n_layer", 2_000_000)]
    [InlineData("n_inner", 9_600_000)]
    [InlineData("n_positions", int.MaxValue)]
    public void Absurd_config_size_is_checked_against_the_weights_before_allocating(string key, int value)
    {
        HfModelSaver.Save(TestModels.Create(ModelArchitecture.Gpt2), temp.Path);
        string configPath = temp.File(HfConfig.FileName);
        var config = HfConfig.Load(configPath);
        config.Set(key, value);
        config.Save(configPath);
        var e = Assert.Throws<InvalidDataException>(() => HfModelLoader.Load(temp.Path));
        Assert.Contains(configPath, e.Message);
        Assert.Contains("the weights", e.Message);
    }

    [Theory]
    [InlineData("\"r\": 2", "\"r\": 2147483647", "r = 2147483647")]
    [InlineData("\"c_attn\"", "\"c_attl\"", "c_attl")]
    public void Adapter_config_is_checked_against_the_model_and_the_weights_before_allocating(string find, string replace, string fragment)
    {
        var model = TestModels.Create(ModelArchitecture.Gpt2);
        model.AddLora(new Rebel.Models.Lora.LoraOptions { Rank = 2, Targets = ["c_attn"] }, new Rebel.Tensors.Rng(1));
        Rebel.Models.Lora.PeftAdapter.Save(model, temp.Path, baseModel: null);
        string path = temp.File(Rebel.Models.Lora.PeftAdapter.ConfigFile);
        string text = File.ReadAllText(path);
        Assert.Contains(find, text);
        File.WriteAllText(path, text.Replace(find, replace, StringComparison.Ordinal));
        var e = Assert.Throws<InvalidDataException>(() => Rebel.Models.Lora.PeftAdapter.Load(TestModels.Create(ModelArchitecture.Gpt2), temp.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void Dit_condition_sizes_null_names_the_file()
    {
        string path = DitConfigWith("\"condition_sizes\": [\n    3,\n    4,\n    3\n  ]", "\"condition_sizes\": null");
        var e = Assert.Throws<InvalidDataException>(() => DitConfig.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("condition_sizes", e.Message);
    }

    [Fact]
    public void Dit_misspelt_key_is_reported_not_defaulted()
    {
        string path = DitConfigWith("\"prediction_type\"", "\"prediction_typ\"");
        var e = Assert.Throws<InvalidDataException>(() => DitConfig.Load(path));
        Assert.Contains("\"prediction_typ\"", e.Message);
    }

    [Fact]
    public void Dit_missing_key_names_the_file_and_the_key()
    {
        string path = DitConfigWith("\"train_timesteps\": 1000,", "");
        var e = Assert.Throws<InvalidDataException>(() => DitConfig.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("\"train_timesteps\" is missing", e.Message);
    }

    private string DitConfigWith(string find, string replace)
    {
        string path = temp.File(DitConfig.FileName);
        new DitConfig().Save(path);
        string text = File.ReadAllText(path);
        Assert.Contains(find, text);
        File.WriteAllText(path, text.Replace(find, replace, StringComparison.Ordinal));
        return path;
    }

    private string Write(string name, string text)
    {
        string path = temp.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    private void AssertInvalidSafetensors(byte[] bytes, string fragment)
    {
        string path = temp.File("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsReader.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(fragment, e.Message);
    }

    private static byte[] Safetensors(string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }
}
