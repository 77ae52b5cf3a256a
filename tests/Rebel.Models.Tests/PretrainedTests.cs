// Hugging Face folder round trips and the loader's error messages.
using System.Text.Json.Nodes;
using Rebel.Models.IO;
using Rebel.Models.Pretrained;

namespace Rebel.Models.Tests;

public class PretrainedTests
{
    private static readonly int[] Ids = [1, 5, 9, 2, 30, 7, 7, 11, 4, 0, 36, 12];

    [Theory]
    [MemberData(nameof(TestModels.Architectures), MemberType = typeof(TestModels))]
    public void SaveLoadF32_GivesIdenticalLogitsAndConfig(ModelArchitecture arch)
    {
        using var dir = new TempDirectory();
        var model = TestModels.Create(arch);
        string path = dir.File("ckpt");
        HfModelSaver.Save(model, path);
        var loaded = HfModelLoader.Load(path);
        Assert.IsType(model.GetType(), loaded);
        Assert.Equal(model.Config.EosTokenIds, loaded.Config.EosTokenIds);
        Assert.Equal(model.Config with { EosTokenIds = [] }, loaded.Config with { EosTokenIds = [] });
        Assert.Equal(TestModels.Logits(model, Ids, 2), TestModels.Logits(loaded, Ids, 2));
    }

    [Theory]
    [MemberData(nameof(TestModels.Architectures), MemberType = typeof(TestModels))]
    public void SaveLoadBf16_GivesCloseLogits(ModelArchitecture arch)
    {
        using var dir = new TempDirectory();
        var model = TestModels.Create(arch);
        HfModelSaver.Save(model, dir.Path, SafetensorsDtype.BF16);
        Assert.Equal("bfloat16", HfConfig.Load(dir.File("config.json")).GetString("torch_dtype"));
        using (var folder = CheckpointFolder.Open(dir.Path))
            Assert.All(folder.TensorNames, n => Assert.Equal(SafetensorsDtype.BF16, folder.GetInfo(n).Dtype));
        var expected = TestModels.Logits(model, Ids, 1);
        var actual = TestModels.Logits(HfModelLoader.Load(dir.Path), Ids, 1);
        float scale = expected.Max(MathF.Abs);
        for (int i = 0; i < expected.Length; i++) Assert.True(MathF.Abs(expected[i] - actual[i]) < 0.05f * scale, $"logit {i}: {expected[i]} vs {actual[i]}");
        Assert.NotEqual(expected, actual);
    }

    [Fact]
    public void TiedHead_IsStoredOnce()
    {
        using var dir = new TempDirectory();
        HfModelSaver.Save(TestModels.Create(ModelArchitecture.Qwen2), dir.Path);
        using var folder = CheckpointFolder.Open(dir.Path);
        Assert.DoesNotContain("lm_head.weight", folder.TensorNames);
        Assert.Contains("model.layers.0.self_attn.q_proj.bias", folder.TensorNames);
        Assert.DoesNotContain("model.layers.0.self_attn.o_proj.bias", folder.TensorNames);
    }

    [Fact]
    public void Gpt2_AcceptsNamesWithoutPrefixAndIgnoresBuffers()
    {
        using var dir = new TempDirectory();
        var model = TestModels.Create(ModelArchitecture.Gpt2);
        HfModelSaver.Save(model, dir.Path);
        var tensors = CheckpointFolder.LoadAll(dir.Path).ToDictionary(kv => kv.Key["transformer.".Length..], kv => kv.Value);
        tensors["h.0.attn.bias"] = new TensorData([1, 1, 64, 64], new float[64 * 64]);
        tensors["h.0.attn.masked_bias"] = new TensorData([], [-1e4f]);
        tensors["lm_head.weight"] = tensors["wte.weight"];
        SafetensorsWriter.Write(dir.File("model.safetensors"), tensors);
        Assert.Equal(TestModels.Logits(model, Ids, 3), TestModels.Logits(HfModelLoader.Load(dir.Path), Ids, 3));
    }

    [Fact]
    public void MissingTensor_NamesFolderAndTensor()
    {
        using var dir = new TempDirectory();
        HfModelSaver.Save(TestModels.Create(ModelArchitecture.Llama), dir.Path);
        var tensors = CheckpointFolder.LoadAll(dir.Path);
        tensors.Remove("model.layers.1.mlp.up_proj.weight");
        SafetensorsWriter.Write(dir.File("model.safetensors"), tensors);
        var e = Assert.Throws<InvalidDataException>(() => HfModelLoader.Load(dir.Path));
        Assert.Contains("model.layers.1.mlp.up_proj.weight", e.Message);
        Assert.Contains(dir.Path, e.Message);
    }

    [Fact]
    public void ShapeMismatch_NamesFileAndTensor()
    {
        using var dir = new TempDirectory();
        HfModelSaver.Save(TestModels.Create(ModelArchitecture.GptNeoX), dir.Path);
        var tensors = CheckpointFolder.LoadAll(dir.Path);
        tensors["gpt_neox.layers.0.attention.dense.bias"] = new TensorData([15], new float[15]);
        SafetensorsWriter.Write(dir.File("model.safetensors"), tensors);
        var e = Assert.Throws<InvalidDataException>(() => HfModelLoader.Load(dir.Path));
        Assert.Contains("gpt_neox.layers.0.attention.dense.bias", e.Message);
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("(15)", e.Message);
    }

    [Fact]
    public void UnexpectedTensor_NamesFileAndTensor()
    {
        using var dir = new TempDirectory();
        HfModelSaver.Save(TestModels.Create(ModelArchitecture.GptNeoX), dir.Path);
        var tensors = CheckpointFolder.LoadAll(dir.Path);
        tensors["gpt_neox.layers.0.attention.rotary_emb.inv_freq"] = new TensorData([2], [1f, 0.01f]);
        tensors["gpt_neox.layers.0.extra.weight"] = new TensorData([2], [1f, 2f]);
        SafetensorsWriter.Write(dir.File("model.safetensors"), tensors);
        var e = Assert.Throws<InvalidDataException>(() => HfModelLoader.Load(dir.Path));
        Assert.Contains("gpt_neox.layers.0.extra.weight", e.Message);
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void UnknownArchitecture_NamesFileAndValue()
    {
        using var dir = new TempDirectory();
        HfModelSaver.Save(TestModels.Create(ModelArchitecture.Gpt2), dir.Path);
        var config = HfConfig.Load(dir.File("config.json"));
        config.Set("architectures", new JsonArray("MambaForCausalLM"));
        config.Set("model_type", "mamba");
        config.Save(dir.File("config.json"));
        var e = Assert.Throws<InvalidDataException>(() => HfModelLoader.Load(dir.Path));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("MambaForCausalLM", e.Message);
        Assert.Contains("mamba", e.Message);
    }

    [Fact]
    public void TokenIds_ComeFromConfigAndGenerationConfig()
    {
        using var dir = new TempDirectory();
        HfModelSaver.Save(TestModels.Create(ModelArchitecture.Llama), dir.Path);
        var config = HfConfig.Load(dir.File("config.json"));
        config.Set("eos_token_id", 2);
        config.Set("pad_token_id", 0);
        config.Save(dir.File("config.json"));
        var gen = HfConfig.Load(dir.File("generation_config.json"));
        gen.Set("eos_token_id", new JsonArray(7, 8, 9));
        gen.Set("bos_token_id", 6);
        gen.Save(dir.File("generation_config.json"));
        var loaded = HfModelLoader.LoadConfig(dir.Path);
        Assert.Equal([7, 8, 9], loaded.EosTokenIds);
        Assert.Equal(6, loaded.BosTokenId);
        Assert.Equal(0, loaded.PadTokenId);
    }

    [Fact]
    public void HfConfigKeys_AreMapped()
    {
        var c = HfConfig.Parse("""
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 3,
             "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 48, "max_position_embeddings": 128, "rms_norm_eps": 1e-5,
             "rope_theta": 500000.0, "tie_word_embeddings": true, "eos_token_id": [1, 2],
             "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64}}
            """, "x/config.json");
        var m = HfModelConfig.FromHf(c);
        Assert.Equal((ModelArchitecture.Llama, 100, 32, 3, 4, 2, 48, 128), (m.Architecture, m.VocabSize, m.HiddenSize, m.Layers, m.Heads, m.KvHeads, m.IntermediateSize, m.MaxPositions));
        Assert.Equal((1e-5f, 500000.0, true), (m.NormEps, m.RopeTheta, m.TieWordEmbeddings));
        Assert.Equal(new Rebel.Tensors.Llama3RopeScaling(8, 1, 4, 64), m.RopeScaling);
        Assert.Equal([1, 2], m.EosTokenIds);

        var neox = HfModelConfig.FromHf(HfConfig.Parse("""
            {"architectures": ["GPTNeoXForCausalLM"], "vocab_size": 50, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
             "intermediate_size": 128, "max_position_embeddings": 64, "rotary_pct": 0.5, "rotary_emb_base": 1000, "use_parallel_residual": false,
             "layer_norm_eps": 1e-6, "hidden_act": "gelu"}
            """));
        Assert.Equal((ModelArchitecture.GptNeoX, 0.5f, 1000.0, false, 1e-6f, true, false), (neox.Architecture, neox.RotaryPct, neox.RopeTheta, neox.ParallelResidual, neox.NormEps, neox.AttentionBias, neox.TieWordEmbeddings));

        var gpt2 = HfModelConfig.FromHf(HfConfig.Parse("""
            {"model_type": "gpt2", "vocab_size": 50, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 64, "n_inner": null, "layer_norm_epsilon": 1e-5, "bos_token_id": 49, "eos_token_id": 49}
            """));
        Assert.Equal((ModelArchitecture.Gpt2, 128, 64, 49), (gpt2.Architecture, gpt2.IntermediateSize, gpt2.MaxPositions, gpt2.BosTokenId));
    }

    [Fact]
    public void SaveReplacesExistingFolderAndWritesTokenizer()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("stale.txt"), "old");
        var tokenizer = Rebel.Models.Tokenization.BpeTrainer.Train(["hello world", "hello there", "world peace"], 300);
        HfModelSaver.Save(TestModels.Create(ModelArchitecture.Gpt2), dir.Path, tokenizer: tokenizer);
        Assert.False(File.Exists(dir.File("stale.txt")));
        Assert.Equal(tokenizer.Encode("hello world"), Rebel.Models.Tokenization.BpeTokenizer.Load(dir.File("tokenizer.json")).Encode("hello world"));
        Assert.True(File.Exists(dir.File("generation_config.json")));
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(dir.Path)!, $".{Path.GetFileName(dir.Path)}.*"));
    }

    [Theory]
    [InlineData(ValueHead.ScorePrefix, false)]
    [InlineData(ValueHead.VHeadPrefix, true)]
    public void ValueHead_RoundTripsBesideTheModel(string prefix, bool bias)
    {
        using var dir = new TempDirectory();
        var model = TestModels.Create(ModelArchitecture.Llama);
        var head = new ValueHead(model.Config.HiddenSize, prefix, bias);
        head.Initialize(new Rebel.Tensors.Rng(3), 0.5f);
        if (bias) head.Bias!.Span[0] = 0.25f;
        HfModelSaver.Save(model, dir.Path, valueHead: head);
        var loadedModel = HfModelLoader.Load(dir.Path);
        var loaded = HfModelLoader.LoadValueHead(dir.Path, model.Config.HiddenSize);
        Assert.NotNull(loaded);
        Assert.Equal(ValueHead.ScorePrefix, loaded.Prefix); // written under transformers' name, whatever it was read as
        using var noGrad = Rebel.Tensors.Autograd.NoGrad();
        var hidden = loadedModel.ForwardHidden(Ids, 2, 6);
        var scores = loaded.Score(hidden);
        Assert.Equal([2, 6], scores.Shape);
        Assert.Equal(head.Score(model.ForwardHidden(Ids, 2, 6)).ToArray(), scores.ToArray());
    }

    // A reward model is written as transformers writes one: *ForSequenceClassification, num_labels 1, the head under score.weight
    // with shape (1, C), so AutoModelForSequenceClassification loads the head instead of initialising a new one.
    [Theory]
    [InlineData(ModelArchitecture.Gpt2, "GPT2ForSequenceClassification")]
    [InlineData(ModelArchitecture.Llama, "LlamaForSequenceClassification")]
    [InlineData(ModelArchitecture.Qwen2, "Qwen2ForSequenceClassification")]
    public void ValueHead_IsSavedAsSequenceClassification(ModelArchitecture arch, string expected)
    {
        using var dir = new TempDirectory();
        var model = TestModels.Create(arch);
        var head = new ValueHead(model.Config.HiddenSize, ValueHead.VHeadPrefix, bias: false);
        head.Initialize(new Rebel.Tensors.Rng(5), 0.5f);
        HfModelSaver.Save(model, dir.Path, valueHead: head);
        var config = HfConfig.Load(dir.File(HfConfig.FileName));
        Assert.Equal([expected], config.GetStringArray("architectures"));
        Assert.Equal(1, config.GetIntOrNull("num_labels"));
        using (var folder = CheckpointFolder.Open(dir.Path))
        {
            Assert.Equal([1, model.Config.HiddenSize], folder.GetInfo("score.weight").Shape);
            Assert.DoesNotContain(folder.TensorNames, n => n.StartsWith("v_head", StringComparison.Ordinal));
        }
        Assert.Equal(head.Weight.ToArray(), HfModelLoader.LoadValueHead(dir.Path, model.Config.HiddenSize)!.Weight.ToArray());
        Assert.Equal(model.Config with { EosTokenIds = [] }, HfModelLoader.Load(dir.Path).Config with { EosTokenIds = [] });
    }

    // What earlier versions wrote (the causal-LM architecture, the head beside it as v_head.summary.*) still loads, head included.
    [Fact]
    public void ValueHead_OfAnOlderCausalLmFolderStillLoads()
    {
        using var dir = new TempDirectory();
        var model = TestModels.Create(ModelArchitecture.Gpt2);
        var head = new ValueHead(model.Config.HiddenSize, ValueHead.VHeadPrefix, bias: true);
        head.Initialize(new Rebel.Tensors.Rng(6), 0.5f);
        HfModelConfig.ToHf(model.Config).Save(dir.File(HfConfig.FileName));
        var tensors = model.NamedParameters.Concat(head.NamedParameters).ToDictionary(kv => kv.Key, kv => TensorData.From(kv.Value));
        SafetensorsWriter.Write(dir.File(CheckpointFolder.SingleFileName), tensors, SafetensorsDtype.F32);
        Assert.Equal(["GPT2LMHeadModel"], HfConfig.Load(dir.File(HfConfig.FileName)).GetStringArray("architectures"));
        var loaded = HfModelLoader.LoadValueHead(dir.Path, model.Config.HiddenSize)!;
        Assert.Equal(ValueHead.VHeadPrefix, loaded.Prefix);
        Assert.Equal(head.Weight.ToArray(), loaded.Weight.ToArray());
        Assert.Equal(head.Bias!.ToArray(), loaded.Bias!.ToArray());
        Assert.Equal(model.Config with { EosTokenIds = [] }, HfModelLoader.Load(dir.Path).Config with { EosTokenIds = [] });
    }
}
