// Translation between Hugging Face config.json (per-family key names) and ModelConfig, in both directions.
using System.Text.Json.Nodes;
using Rebel.Models.IO;
using Rebel.Tensors;

namespace Rebel.Models.Pretrained;

/// <summary>Reads and writes the config.json keys of each supported family.</summary>
public static class HfModelConfig
{
    /// <summary>The `architectures` class name Hugging Face uses for each family.</summary>
    public static string ArchitectureName(ModelArchitecture a) => a switch
    {
        ModelArchitecture.Gpt2 => "GPT2LMHeadModel",
        ModelArchitecture.Llama => "LlamaForCausalLM",
        ModelArchitecture.Qwen2 => "Qwen2ForCausalLM",
        _ => "GPTNeoXForCausalLM",
    };

    /// <summary>The `model_type` of each family.</summary>
    public static string ModelType(ModelArchitecture a) => a switch
    {
        ModelArchitecture.Gpt2 => "gpt2",
        ModelArchitecture.Llama => "llama",
        ModelArchitecture.Qwen2 => "qwen2",
        _ => "gpt_neox",
    };

    /// <summary>
    /// The family named by config.json: the first known entry of `architectures` (or its sequence-classification
    /// sibling), else `model_type`. Throws InvalidDataException naming the file and the value when neither is known.
    /// </summary>
    public static ModelArchitecture DetectArchitecture(HfConfig config)
    {
        string[] archs = config.Has("architectures") ? config.GetStringArray("architectures") : [];
        foreach (var name in archs)
        {
            ModelArchitecture? a = name switch
            {
                "GPT2LMHeadModel" or "GPT2Model" or "GPT2ForSequenceClassification" => ModelArchitecture.Gpt2,
                "LlamaForCausalLM" or "LlamaModel" or "LlamaForSequenceClassification" => ModelArchitecture.Llama,
                "Qwen2ForCausalLM" or "Qwen2Model" or "Qwen2ForSequenceClassification" => ModelArchitecture.Qwen2,
                "GPTNeoXForCausalLM" or "GPTNeoXModel" or "GPTNeoXForSequenceClassification" => ModelArchitecture.GptNeoX,
                _ => null,
            };
            if (a is not null) return a.Value;
        }
        string? type = config.GetString("model_type", null);
        return type switch
        {
            "gpt2" => ModelArchitecture.Gpt2,
            "llama" => ModelArchitecture.Llama,
            "qwen2" => ModelArchitecture.Qwen2,
            "gpt_neox" => ModelArchitecture.GptNeoX,
            _ => throw new InvalidDataException(
                $"{config.Source}: unsupported model: architectures [{string.Join(", ", archs)}], model_type \"{type ?? "(missing)"}\" " +
                "(supported: GPT2LMHeadModel/gpt2, LlamaForCausalLM/llama, Qwen2ForCausalLM/qwen2, GPTNeoXForCausalLM/gpt_neox)."),
        };
    }

    /// <summary>
    /// A ModelConfig from config.json; token ids set in <paramref name="generation"/> (generation_config.json) take precedence.
    /// Settings this library cannot honour (other rope scaling types, MLP biases, a separate head_dim, …) throw InvalidDataException.
    /// </summary>
    public static ModelConfig FromHf(HfConfig config, GenerationConfig? generation = null)
    {
        var arch = DetectArchitecture(config);
        var model = arch switch
        {
            ModelArchitecture.Gpt2 => Gpt2(config),
            ModelArchitecture.GptNeoX => NeoX(config),
            _ => Llama(config, arch),
        };
        var eos = config.GetIntOrIntArray("eos_token_id");
        int? bos = config.GetIntOrNull("bos_token_id"), pad = config.GetIntOrNull("pad_token_id");
        if (generation is not null)
        {
            if (generation.EosTokenIds.Count > 0) eos = [.. generation.EosTokenIds];
            bos = generation.BosTokenId ?? bos;
            pad = generation.PadTokenId ?? pad;
        }
        model = model with { BosTokenId = bos, EosTokenIds = eos, PadTokenId = pad };
        model.Validate(config.Source);
        return model;
    }

    private static ModelConfig Gpt2(HfConfig c)
    {
        int width = c.GetInt("n_embd");
        string act = c.GetString("activation_function", "gelu_new")!;
        if (act is not ("gelu_new" or "gelu_pytorch_tanh" or "gelu_fast"))
            throw new InvalidDataException($"{c.Source}: activation_function \"{act}\" is not supported for GPT-2 (expected gelu_new).");
        if (!c.GetBool("tie_word_embeddings", true)) throw new InvalidDataException($"{c.Source}: GPT-2 with tie_word_embeddings false is not supported.");
        return new ModelConfig
        {
            Architecture = ModelArchitecture.Gpt2,
            VocabSize = c.GetInt("vocab_size"),
            HiddenSize = width,
            Layers = c.GetInt("n_layer"),
            Heads = c.GetInt("n_head"),
            KvHeads = c.GetInt("n_head"),
            IntermediateSize = c.GetIntOrNull("n_inner") ?? 4 * width,
            MaxPositions = c.GetIntOrNull("n_positions") ?? c.GetInt("n_ctx"),
            NormEps = c.GetFloat("layer_norm_epsilon", 1e-5f),
            HiddenAct = act,
            TieWordEmbeddings = true,
        };
    }

    private static ModelConfig Llama(HfConfig c, ModelArchitecture arch)
    {
        int width = c.GetInt("hidden_size"), heads = c.GetInt("num_attention_heads");
        if (c.GetIntOrNull("head_dim") is int hd && hd != width / heads)
            throw new InvalidDataException($"{c.Source}: head_dim {hd} differs from hidden_size / num_attention_heads = {width / heads}; not supported.");
        if (c.GetBool("use_sliding_window", false)) throw new InvalidDataException($"{c.Source}: use_sliding_window true is not supported.");
        if (c.GetBool("mlp_bias", false)) throw new InvalidDataException($"{c.Source}: mlp_bias true is not supported.");
        string act = c.GetString("hidden_act", "silu")!;
        if (act != "silu") throw new InvalidDataException($"{c.Source}: hidden_act \"{act}\" is not supported (expected silu).");
        bool attentionBias = arch == ModelArchitecture.Qwen2;
        if (arch == ModelArchitecture.Llama && c.GetBool("attention_bias", false))
            throw new InvalidDataException($"{c.Source}: attention_bias true is not supported for Llama (it would add an o_proj bias).");
        var (theta, scaling) = Rope(c);
        return new ModelConfig
        {
            Architecture = arch,
            VocabSize = c.GetInt("vocab_size"),
            HiddenSize = width,
            Layers = c.GetInt("num_hidden_layers"),
            Heads = heads,
            KvHeads = c.GetIntOrNull("num_key_value_heads") ?? heads,
            IntermediateSize = c.GetInt("intermediate_size"),
            MaxPositions = c.GetInt("max_position_embeddings"),
            NormEps = c.GetFloat("rms_norm_eps", 1e-6f),
            RopeTheta = theta,
            RopeScaling = scaling,
            TieWordEmbeddings = c.GetBool("tie_word_embeddings", false),
            AttentionBias = attentionBias,
            HiddenAct = act,
        };
    }

    // rope_theta + rope_scaling (transformers 4.x) or rope_parameters (5.x).
    private static (double Theta, Llama3RopeScaling? Scaling) Rope(HfConfig c)
    {
        var parameters = c.GetObject("rope_parameters");
        double theta = parameters?.GetDouble("rope_theta", double.NaN) is double t && !double.IsNaN(t) ? t : c.GetDouble("rope_theta", 10000);
        var s = c.GetObject("rope_scaling") ?? parameters;
        string type = s is null ? "default" : s.GetString("rope_type", null) ?? s.GetString("type", "default")!;
        return type switch
        {
            "default" => (theta, null),
            "llama3" => (theta, new Llama3RopeScaling(s!.GetFloat("factor"), s.GetFloat("low_freq_factor"), s.GetFloat("high_freq_factor"),
                s.GetInt("original_max_position_embeddings"))),
            _ => throw new InvalidDataException($"{c.Source}: rope scaling type \"{type}\" is not supported (default or llama3)."),
        };
    }

    private static ModelConfig NeoX(HfConfig c)
    {
        if (c.GetBool("tie_word_embeddings", false)) throw new InvalidDataException($"{c.Source}: GPT-NeoX with tie_word_embeddings true is not supported.");
        var parameters = c.GetObject("rope_parameters");
        double theta = c.GetDouble("rotary_emb_base", parameters?.GetDouble("rope_theta", 10000) ?? c.GetDouble("rope_theta", 10000));
        float pct = c.GetFloatOrNull("rotary_pct") ?? c.GetFloatOrNull("partial_rotary_factor") ?? parameters?.GetFloatOrNull("partial_rotary_factor") ?? 0.25f;
        int heads = c.GetInt("num_attention_heads");
        return new ModelConfig
        {
            Architecture = ModelArchitecture.GptNeoX,
            VocabSize = c.GetInt("vocab_size"),
            HiddenSize = c.GetInt("hidden_size"),
            Layers = c.GetInt("num_hidden_layers"),
            Heads = heads,
            KvHeads = heads,
            IntermediateSize = c.GetInt("intermediate_size"),
            MaxPositions = c.GetInt("max_position_embeddings"),
            NormEps = c.GetFloat("layer_norm_eps", 1e-5f),
            RopeTheta = theta,
            RotaryPct = pct,
            ParallelResidual = c.GetBool("use_parallel_residual", true),
            AttentionBias = c.GetBool("attention_bias", true),
            HiddenAct = c.GetString("hidden_act", "gelu")!,
            TieWordEmbeddings = false,
        };
    }

    /// <summary>config.json for <paramref name="m"/> with the family's own keys, `architectures`, `model_type` and `torch_dtype`.</summary>
    public static HfConfig ToHf(ModelConfig m, string torchDtype = "float32")
    {
        var c = new HfConfig();
        c.Set("architectures", new JsonArray(ArchitectureName(m.Architecture)));
        c.Set("model_type", ModelType(m.Architecture));
        c.Set("vocab_size", m.VocabSize);
        switch (m.Architecture)
        {
            case ModelArchitecture.Gpt2:
                c.Set("n_embd", m.HiddenSize);
                c.Set("n_layer", m.Layers);
                c.Set("n_head", m.Heads);
                c.Set("n_positions", m.MaxPositions);
                c.Set("n_ctx", m.MaxPositions);
                c.Set("n_inner", m.IntermediateSize);
                c.Set("layer_norm_epsilon", m.NormEps);
                c.Set("activation_function", m.HiddenAct);
                break;
            case ModelArchitecture.GptNeoX:
                Common(c, m);
                c.Set("layer_norm_eps", m.NormEps);
                c.Set("rotary_pct", m.RotaryPct);
                c.Set("rotary_emb_base", m.RopeTheta);
                c.Set("use_parallel_residual", m.ParallelResidual);
                c.Set("attention_bias", m.AttentionBias);
                c.Set("hidden_act", m.HiddenAct);
                break;
            default:
                Common(c, m);
                c.Set("num_key_value_heads", m.KvHeads);
                c.Set("head_dim", m.HeadDim);
                c.Set("rms_norm_eps", m.NormEps);
                c.Set("rope_theta", m.RopeTheta);
                c.Set("hidden_act", "silu");
                if (m.Architecture == ModelArchitecture.Llama) c.Set("attention_bias", false);
                if (m.RopeScaling is { } s)
                {
                    c.Set("rope_scaling", new JsonObject
                    {
                        ["rope_type"] = "llama3",
                        ["factor"] = s.Factor,
                        ["low_freq_factor"] = s.LowFreqFactor,
                        ["high_freq_factor"] = s.HighFreqFactor,
                        ["original_max_position_embeddings"] = s.OriginalMaxPositions,
                    });
                }
                break;
        }
        c.Set("tie_word_embeddings", m.Architecture != ModelArchitecture.GptNeoX && m.TieWordEmbeddings);
        c.Set("bos_token_id", m.BosTokenId);
        if (m.EosTokenIds.Length == 1) c.Set("eos_token_id", m.EosTokenIds[0]);
        else if (m.EosTokenIds.Length > 1) c.Set("eos_token_id", new JsonArray([.. m.EosTokenIds.Select(id => (JsonNode?)id)]));
        c.Set("pad_token_id", m.PadTokenId);
        c.Set("torch_dtype", torchDtype);
        return c;
    }

    private static void Common(HfConfig c, ModelConfig m)
    {
        c.Set("hidden_size", m.HiddenSize);
        c.Set("num_hidden_layers", m.Layers);
        c.Set("num_attention_heads", m.Heads);
        c.Set("intermediate_size", m.IntermediateSize);
        c.Set("max_position_embeddings", m.MaxPositions);
    }
}
