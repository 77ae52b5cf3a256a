// HfConfig and GenerationConfig: typed getters, errors naming file and key, and write/read round trips.
using Rebel.Models.IO;

namespace Rebel.Models.Tests;

public sealed class ConfigTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private const string LlamaConfig = """
        {
          "architectures": ["LlamaForCausalLM"],
          "hidden_size": 4096,
          "num_attention_heads": 32,
          "rms_norm_eps": 1e-05,
          "rope_theta": 500000.0,
          "tie_word_embeddings": false,
          "torch_dtype": "bfloat16",
          "eos_token_id": [128001, 128009],
          "rope_scaling": {"factor": 8.0, "rope_type": "llama3"},
          "sliding_window": null,
          "max_position_embeddings": 131072.0
        }
        """;

    [Fact]
    public void Typed_getters_read_values_and_defaults()
    {
        string path = temp.File("config.json");
        File.WriteAllText(path, LlamaConfig);
        var c = HfConfig.Load(path);
        Assert.Equal(4096, c.GetInt("hidden_size"));
        Assert.Equal(131072, c.GetInt("max_position_embeddings"));
        Assert.Equal(1e-5f, c.GetFloat("rms_norm_eps"));
        Assert.Equal(500000f, c.GetFloat("rope_theta", 10000f));
        Assert.Equal(10000f, c.GetFloat("missing_theta", 10000f));
        Assert.Equal(7, c.GetInt("sliding_window", 7));
        Assert.Null(c.GetIntOrNull("sliding_window"));
        Assert.False(c.GetBool("tie_word_embeddings"));
        Assert.Equal(["LlamaForCausalLM"], c.GetStringArray("architectures"));
        Assert.Equal([128001, 128009], c.GetIntOrIntArray("eos_token_id"));
        Assert.Equal("llama3", c.GetObject("rope_scaling")!.GetString("rope_type"));
        Assert.Null(c.GetObject("not_there"));
    }

    [Fact]
    public void Missing_and_mistyped_keys_name_the_file_and_key()
    {
        string path = temp.File("config.json");
        File.WriteAllText(path, LlamaConfig);
        var c = HfConfig.Load(path);

        var missing = Assert.Throws<InvalidDataException>(() => c.GetInt("vocab_size"));
        Assert.Contains(path, missing.Message);
        Assert.Contains("\"vocab_size\" is missing", missing.Message);

        var mistyped = Assert.Throws<InvalidDataException>(() => c.GetInt("torch_dtype"));
        Assert.Contains(path, mistyped.Message);
        Assert.Contains("\"torch_dtype\" should be an integer", mistyped.Message);

        Assert.Throws<InvalidDataException>(() => c.GetInt("rms_norm_eps"));
        Assert.Throws<InvalidDataException>(() => c.GetString("hidden_size"));
        var nullValue = Assert.Throws<InvalidDataException>(() => c.GetInt("sliding_window"));
        Assert.Contains("is null", nullValue.Message);
        var element = Assert.Throws<InvalidDataException>(() => c.GetIntArray("architectures"));
        Assert.Contains("architectures[0]", element.Message);
    }

    [Fact]
    public void Malformed_or_missing_config_file_is_reported()
    {
        string path = temp.File("config.json");
        File.WriteAllText(path, "{\"hidden_size\": ");
        var e = Assert.Throws<InvalidDataException>(() => HfConfig.Load(path));
        Assert.Contains(path, e.Message);
        File.WriteAllText(path, "[1]");
        Assert.Throws<InvalidDataException>(() => HfConfig.Load(path));
        Assert.Throws<FileNotFoundException>(() => HfConfig.Load(temp.File("nothing.json")));
    }

    [Fact]
    public void Config_writes_and_reads_back()
    {
        var c = new HfConfig();
        c.Set("model_type", "gpt2");
        c.Set("n_embd", 64);
        c.Set("layer_norm_epsilon", 1e-5);
        c.Set("architectures", new System.Text.Json.Nodes.JsonArray("GPT2LMHeadModel"));
        c.Set("note", "héllo ✓");
        string path = temp.File("out/config.json");
        c.Save(path);

        var back = HfConfig.Load(path);
        Assert.Equal("gpt2", back.GetString("model_type"));
        Assert.Equal(64, back.GetInt("n_embd"));
        Assert.Equal(1e-5, back.GetDouble("layer_norm_epsilon"));
        Assert.Equal(["GPT2LMHeadModel"], back.GetStringArray("architectures"));
        Assert.Contains("héllo ✓", File.ReadAllText(path));
    }

    [Fact]
    public void Generation_config_reads_single_or_list_eos()
    {
        string path = temp.File("generation_config.json");
        File.WriteAllText(path, """{"bos_token_id": 1, "eos_token_id": 2, "temperature": 0.6, "top_p": 0.9, "do_sample": true, "max_new_tokens": 128}""");
        var g = GenerationConfig.Load(path);
        Assert.Equal([2], g.EosTokenIds);
        Assert.Equal(1, g.BosTokenId);
        Assert.Null(g.PadTokenId);
        Assert.Equal(0.6f, g.Temperature);
        Assert.Equal(0.9f, g.TopP);
        Assert.Null(g.TopK);
        Assert.True(g.DoSample);
        Assert.Equal(128, g.MaxNewTokens);

        File.WriteAllText(path, """{"eos_token_id": [128001, 128008, 128009], "top_k": 50, "pad_token_id": null}""");
        g = GenerationConfig.Load(path);
        Assert.Equal([128001, 128008, 128009], g.EosTokenIds);
        Assert.Equal(50, g.TopK);
    }

    [Fact]
    public void Generation_config_round_trips()
    {
        var g = new GenerationConfig { EosTokenIds = [5, 6], PadTokenId = 0, Temperature = 0.7f, TopK = 20, MaxNewTokens = 64 };
        string path = temp.File(GenerationConfig.FileName);
        g.Save(path);
        var back = GenerationConfig.Load(path);
        Assert.Equal(g.EosTokenIds, back.EosTokenIds);
        Assert.Equal(g with { EosTokenIds = back.EosTokenIds }, back);
    }
}
