// Real config.json files of released checkpoints (weights not needed): each maps to the expected family and fields,
// writes back to a config.json that reads to the same ModelConfig, and unsupported settings fail naming file and key.
using Rebel.Models.IO;
using Rebel.Models.Pretrained;

namespace Rebel.Models.Tests;

public class ArchitectureConfigTests
{
    // HuggingFaceTB/SmolLM2-135M
    private const string SmolLm2 = """
        {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0, "bos_token_id": 0, "eos_token_id": 0,
         "hidden_act": "silu", "hidden_size": 576, "initializer_range": 0.041666666666666664, "intermediate_size": 1536, "is_llama_config": true,
         "max_position_embeddings": 8192, "model_type": "llama", "num_attention_heads": 9, "num_hidden_layers": 30, "num_key_value_heads": 3,
         "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_interleaved": false, "rope_scaling": null, "rope_theta": 100000,
         "tie_word_embeddings": true, "torch_dtype": "bfloat16", "transformers_version": "4.40.1", "use_cache": true, "vocab_size": 49152}
        """;

    // meta-llama/Llama-3.2-1B
    private const string Llama32 = """
        {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0, "bos_token_id": 128000, "eos_token_id": 128001,
         "head_dim": 64, "hidden_act": "silu", "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 8192,
         "max_position_embeddings": 131072, "mlp_bias": false, "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 16,
         "num_key_value_heads": 8, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
         "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"},
         "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16", "transformers_version": "4.45.0.dev0", "use_cache": true,
         "vocab_size": 128256}
        """;

    // Qwen/Qwen3-0.6B
    private const string Qwen3 = """
        {"architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0, "bos_token_id": 151643, "eos_token_id": 151645,
         "head_dim": 128, "hidden_act": "silu", "hidden_size": 1024, "initializer_range": 0.02, "intermediate_size": 3072,
         "max_position_embeddings": 40960, "max_window_layers": 28, "model_type": "qwen3", "num_attention_heads": 16, "num_hidden_layers": 28,
         "num_key_value_heads": 8, "rms_norm_eps": 1e-06, "rope_scaling": null, "rope_theta": 1000000, "sliding_window": null,
         "tie_word_embeddings": true, "torch_dtype": "bfloat16", "transformers_version": "4.51.0", "use_cache": true, "use_sliding_window": false,
         "vocab_size": 151936}
        """;

    // mistralai/Mistral-7B-v0.1
    private const string Mistral = """
        {"architectures": ["MistralForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 4096,
         "initializer_range": 0.02, "intermediate_size": 14336, "max_position_embeddings": 32768, "model_type": "mistral",
         "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
         "sliding_window": 4096, "tie_word_embeddings": false, "torch_dtype": "bfloat16", "transformers_version": "4.34.0.dev0",
         "use_cache": true, "vocab_size": 32000}
        """;

    // microsoft/Phi-3-mini-4k-instruct
    private const string Phi3Mini = """
        {"_name_or_path": "Phi-3-mini-4k-instruct", "architectures": ["Phi3ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 1,
         "embd_pdrop": 0.0, "eos_token_id": 32000, "hidden_act": "silu", "hidden_size": 3072, "initializer_range": 0.02,
         "intermediate_size": 8192, "max_position_embeddings": 4096, "model_type": "phi3", "num_attention_heads": 32, "num_hidden_layers": 32,
         "num_key_value_heads": 32, "original_max_position_embeddings": 4096, "pad_token_id": 32000, "resid_pdrop": 0.0, "rms_norm_eps": 1e-05,
         "rope_scaling": null, "rope_theta": 10000.0, "sliding_window": 2047, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
         "transformers_version": "4.40.2", "use_cache": true, "attention_bias": false, "vocab_size": 32064}
        """;

    // microsoft/Phi-4-mini-instruct (long_factor / short_factor lists shortened here; the real ones have 48 entries).
    private const string Phi4Mini = """
        {"architectures": ["Phi3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0, "bos_token_id": 199999, "embd_pdrop": 0.0,
         "eos_token_id": 199999, "full_attn_mod": 1, "hidden_act": "silu", "hidden_size": 3072, "initializer_range": 0.02,
         "intermediate_size": 8192, "interpolate_factor": 1, "lm_head_bias": false, "max_position_embeddings": 131072, "mlp_bias": false,
         "model_type": "phi3", "num_attention_heads": 24, "num_hidden_layers": 32, "num_key_value_heads": 8,
         "original_max_position_embeddings": 4096, "pad_token_id": 199999, "partial_rotary_factor": 0.75, "resid_pdrop": 0.0,
         "rms_norm_eps": 1e-05, "rope_scaling": {"long_factor": [1, 1.118, 1.25], "short_factor": [1, 1, 1], "type": "longrope"},
         "rope_theta": 10000.0, "sliding_window": 262144, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
         "transformers_version": "4.45.0", "use_cache": true, "vocab_size": 200064}
        """;

    // google/gemma-2-2b
    private const string Gemma2 = """
        {"architectures": ["Gemma2ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0, "attn_logit_softcapping": 50.0,
         "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": 1, "final_logit_softcapping": 30.0, "head_dim": 256,
         "hidden_act": "gelu_pytorch_tanh", "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 2304, "initializer_range": 0.02,
         "intermediate_size": 9216, "max_position_embeddings": 8192, "model_type": "gemma2", "num_attention_heads": 8, "num_hidden_layers": 26,
         "num_key_value_heads": 4, "pad_token_id": 0, "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_theta": 10000.0,
         "sliding_window": 4096, "torch_dtype": "float32", "transformers_version": "4.42.4", "use_cache": true, "vocab_size": 256000}
        """;

    private static ModelConfig Read(string json) => HfModelConfig.FromHf(HfConfig.Parse(json, "ckpt/config.json"));

    private static void AssertRoundTrips(ModelConfig m)
    {
        var back = HfModelConfig.FromHf(HfConfig.Parse(HfModelConfig.ToHf(m, "bfloat16").ToJson(), "saved/config.json"));
        Assert.Equal(m.EosTokenIds, back.EosTokenIds);
        Assert.Equal(m with { EosTokenIds = [] }, back with { EosTokenIds = [] });
    }

    [Fact]
    public void SmolLm2_LoadsAsTiedLlama()
    {
        var m = Read(SmolLm2);
        Assert.Equal((ModelArchitecture.Llama, 576, 9, 3, 64, 30, 1536, 49152), (m.Architecture, m.HiddenSize, m.Heads, m.KvHeads, m.HeadDim, m.Layers, m.IntermediateSize, m.VocabSize));
        Assert.Equal((true, 100000.0, 1e-5f, (int?)null, 8192), (m.TieWordEmbeddings, m.RopeTheta, m.NormEps, m.SlidingWindow, m.MaxPositions));
        Assert.Null(m.RopeScaling);
        Assert.Equal([0], m.EosTokenIds);
        AssertRoundTrips(m);
    }

    [Fact]
    public void Llama32_LoadsAsTiedLlamaWithLlama3Scaling()
    {
        var m = Read(Llama32);
        Assert.Equal((ModelArchitecture.Llama, 2048, 32, 8, 64, 16, true), (m.Architecture, m.HiddenSize, m.Heads, m.KvHeads, m.HeadDim, m.Layers, m.TieWordEmbeddings));
        Assert.Equal(new Rebel.Tensors.Llama3RopeScaling(32, 1, 4, 8192), m.RopeScaling);
        Assert.Equal((500000.0, 128000), (m.RopeTheta, m.BosTokenId));
        AssertRoundTrips(m);
    }

    [Fact]
    public void Qwen3_HeadDimIndependentOfWidth()
    {
        var m = Read(Qwen3);
        Assert.Equal((ModelArchitecture.Qwen3, 1024, 16, 8, 128, true, false), (m.Architecture, m.HiddenSize, m.Heads, m.KvHeads, m.HeadDim, m.TieWordEmbeddings, m.AttentionBias));
        Assert.Null(m.SlidingWindow);
        AssertRoundTrips(m);
        var tiny = ModelFactory.Create(m with { HiddenSize = 16, Heads = 4, KvHeads = 2, HeadDim = 8, Layers = 1, IntermediateSize = 8, VocabSize = 10 });
        Assert.Equal([32, 16], tiny.NamedParameters["model.layers.0.self_attn.q_proj.weight"].Shape);
        Assert.Equal([16, 32], tiny.NamedParameters["model.layers.0.self_attn.o_proj.weight"].Shape);
        Assert.Equal([8], tiny.NamedParameters["model.layers.0.self_attn.q_norm.weight"].Shape);
        Assert.Equal([8], tiny.NamedParameters["model.layers.0.self_attn.k_norm.weight"].Shape);
    }

    [Fact]
    public void Mistral_HasSlidingWindowOnEveryLayer()
    {
        var m = Read(Mistral);
        Assert.Equal((ModelArchitecture.Mistral, 4096, 32, 8, 128, 4096, false), (m.Architecture, m.HiddenSize, m.Heads, m.KvHeads, m.HeadDim, m.SlidingWindow, m.TieWordEmbeddings));
        Assert.All(Enumerable.Range(0, m.Layers), i => Assert.True(m.UsesSlidingWindow(i)));
        AssertRoundTrips(m);
        AssertRoundTrips(Read(Mistral.Replace("\"sliding_window\": 4096", "\"sliding_window\": null", StringComparison.Ordinal)));
    }

    [Fact]
    public void Phi3Mini_LoadsWithFullRotaryAndWindow()
    {
        var m = Read(Phi3Mini);
        Assert.Equal((ModelArchitecture.Phi3, 3072, 32, 32, 96, 1f, 2047, false), (m.Architecture, m.HiddenSize, m.Heads, m.KvHeads, m.HeadDim, m.RotaryPct, m.SlidingWindow, m.TieWordEmbeddings));
        Assert.Equal((32000, 32000), (m.EosTokenIds[0], m.PadTokenId));
        AssertRoundTrips(m);
    }

    [Fact]
    public void Phi4Mini_LongRopeIsRejectedWithAClearError()
    {
        var e = Assert.Throws<InvalidDataException>(() => Read(Phi4Mini));
        Assert.Contains("ckpt/config.json", e.Message);
        Assert.Contains("longrope", e.Message);
        // The same shape without rope scaling loads: partial rotary 0.75, GQA 24/8, tied head.
        var m = Read(Phi4Mini.Replace("{\"long_factor\": [1, 1.118, 1.25], \"short_factor\": [1, 1, 1], \"type\": \"longrope\"}", "null", StringComparison.Ordinal));
        Assert.Equal((0.75f, 24, 8, 128, true), (m.RotaryPct, m.Heads, m.KvHeads, m.HeadDim, m.TieWordEmbeddings));
        Assert.Equal(96, Architectures.Phi3Model.RotaryDims(m));
        AssertRoundTrips(m);
    }

    [Fact]
    public void Gemma2_SoftCapsScalarAndAlternatingWindow()
    {
        var m = Read(Gemma2);
        Assert.Equal((ModelArchitecture.Gemma2, 2304, 8, 4, 256, true), (m.Architecture, m.HiddenSize, m.Heads, m.KvHeads, m.HeadDim, m.TieWordEmbeddings));
        Assert.Equal((256f, 50f, 30f, 4096, "gelu_pytorch_tanh"), (m.QueryPreAttnScalar, m.AttnLogitSoftcapping, m.FinalLogitSoftcapping, m.SlidingWindow, m.HiddenAct));
        Assert.Equal([true, false, true, false], Enumerable.Range(0, 4).Select(m.UsesSlidingWindow));
        AssertRoundTrips(m);
        var uncapped = Read(Gemma2.Replace("\"attn_logit_softcapping\": 50.0", "\"attn_logit_softcapping\": null", StringComparison.Ordinal));
        Assert.Null(uncapped.AttnLogitSoftcapping);
        AssertRoundTrips(uncapped);
        var listed = Read(Gemma2.Replace("\"use_cache\": true", "\"use_cache\": true, \"layer_types\": [" +
            string.Join(", ", Enumerable.Range(0, 26).Select(i => i % 2 == 0 ? "\"sliding_attention\"" : "\"full_attention\"")) + "]", StringComparison.Ordinal));
        Assert.Equal(m with { EosTokenIds = [] }, listed with { EosTokenIds = [] });
    }

    [Theory]
    [InlineData("qwen3 use_sliding_window", "\"use_sliding_window\": false", "\"use_sliding_window\": true", "use_sliding_window")]
    [InlineData("qwen3 attention_bias", "\"attention_bias\": false", "\"attention_bias\": true", "attention_bias")]
    [InlineData("gemma2 layer_types", "\"use_cache\": true", "\"use_cache\": true, \"layer_types\": [\"full_attention\"]", "layer_types")]
    [InlineData("gemma2 untied", "\"use_cache\": true", "\"use_cache\": true, \"tie_word_embeddings\": false", "tie_word_embeddings")]
    [InlineData("gemma2 activation", "\"hidden_activation\": \"gelu_pytorch_tanh\"", "\"hidden_activation\": \"relu\"", "relu")]
    [InlineData("phi3 head_dim", "\"attention_bias\": false", "\"attention_bias\": false, \"head_dim\": 64", "head_dim")]
    public void UnsupportedSettings_NameFileAndKey(string what, string from, string to, string expected)
    {
        string json = what.StartsWith("qwen3", StringComparison.Ordinal) ? Qwen3 : what.StartsWith("gemma2", StringComparison.Ordinal) ? Gemma2 : Phi3Mini;
        string changed = json.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(json, changed);
        var e = Assert.Throws<InvalidDataException>(() => Read(changed));
        Assert.Contains("ckpt/config.json", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
