// Reading Hugging Face config.json into ModelConfig: family detection and the keys of GPT-2, the Llama family (Llama, Qwen2,
// Mistral, Qwen3) and GPT-NeoX (Phi-3 and Gemma 2 in HfModelConfig.Phi3Gemma2.cs, writing in HfModelConfig.Write.cs).
using System.Text.Json.Nodes;
using Rebel.Models.IO;
using Rebel.Tensors;

namespace Rebel.Models.Pretrained;

/// <summary>Reads and writes the config.json keys of each supported family.</summary>
public static partial class HfModelConfig
{
    /// <summary>The `architectures` class name Hugging Face uses for each family.</summary>
    public static string ArchitectureName(ModelArchitecture a) => a switch
    {
        ModelArchitecture.Gpt2 => "GPT2LMHeadModel",
        ModelArchitecture.Llama => "LlamaForCausalLM",
        ModelArchitecture.Qwen2 => "Qwen2ForCausalLM",
        ModelArchitecture.Mistral => "MistralForCausalLM",
        ModelArchitecture.Qwen3 => "Qwen3ForCausalLM",
        ModelArchitecture.Phi3 => "Phi3ForCausalLM",
        ModelArchitecture.Gemma2 => "Gemma2ForCausalLM",
        _ => "GPTNeoXForCausalLM",
    };

    /// <summary>The `architectures` class name of each family's sequence-classification model (a reward model's), e.g. GPT2ForSequenceClassification.</summary>
    public static string ClassificationName(ModelArchitecture a) =>
        ArchitectureName(a).Replace("LMHeadModel", "ForSequenceClassification", StringComparison.Ordinal).Replace("ForCausalLM", "ForSequenceClassification", StringComparison.Ordinal);

    /// <summary>The `model_type` of each family.</summary>
    public static string ModelType(ModelArchitecture a) => a switch
    {
        ModelArchitecture.Gpt2 => "gpt2",
        ModelArchitecture.Llama => "llama",
        ModelArchitecture.Qwen2 => "qwen2",
        ModelArchitecture.Mistral => "mistral",
        ModelArchitecture.Qwen3 => "qwen3",
        ModelArchitecture.Phi3 => "phi3",
        ModelArchitecture.Gemma2 => "gemma2",
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
                "MistralForCausalLM" or "MistralModel" or "MistralForSequenceClassification" => ModelArchitecture.Mistral,
                "Qwen3ForCausalLM" or "Qwen3Model" or "Qwen3ForSequenceClassification" => ModelArchitecture.Qwen3,
                "Phi3ForCausalLM" or "Phi3Model" or "Phi3ForSequenceClassification" => ModelArchitecture.Phi3,
                "Gemma2ForCausalLM" or "Gemma2Model" or "Gemma2ForSequenceClassification" => ModelArchitecture.Gemma2,
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
            "mistral" => ModelArchitecture.Mistral,
            "qwen3" => ModelArchitecture.Qwen3,
            "phi3" => ModelArchitecture.Phi3,
            "gemma2" => ModelArchitecture.Gemma2,
            _ => throw new InvalidDataException(
                $"{config.Source}: unsupported model: architectures [{string.Join(", ", archs)}], model_type \"{type ?? "(missing)"}\" " +
                "(supported: GPT2LMHeadModel/gpt2, LlamaForCausalLM/llama, Qwen2ForCausalLM/qwen2, GPTNeoXForCausalLM/gpt_neox, " +
                "MistralForCausalLM/mistral, Qwen3ForCausalLM/qwen3, Phi3ForCausalLM/phi3, Gemma2ForCausalLM/gemma2)."),
        };
    }

    /// <summary>
    /// A ModelConfig from config.json; token ids set in <paramref name="generation"/> (generation_config.json) take precedence.
    /// Settings this library cannot honour (other rope scaling types, MLP biases, Qwen's use_sliding_window, …) throw InvalidDataException.
    /// </summary>
    public static ModelConfig FromHf(HfConfig config, GenerationConfig? generation = null)
    {
        var arch = DetectArchitecture(config);
        var model = arch switch
        {
            ModelArchitecture.Gpt2 => Gpt2(config),
            ModelArchitecture.GptNeoX => NeoX(config),
            ModelArchitecture.Phi3 => Phi3(config),
            ModelArchitecture.Gemma2 => Gemma2(config),
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
        try
        {
            model.Validate(config.Source);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
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

    // Llama, Qwen2, Mistral and Qwen3. Mistral honours sliding_window; Qwen's use_sliding_window (window on the layers from
    // max_window_layers on) is rejected; Llama has no window.
    private static ModelConfig Llama(HfConfig c, ModelArchitecture arch)
    {
        if (c.GetBool("use_sliding_window", false))
            throw new InvalidDataException($"{c.Source}: use_sliding_window true is not supported (Qwen's per-layer window from max_window_layers on).");
        if (c.GetBool("mlp_bias", false)) throw new InvalidDataException($"{c.Source}: mlp_bias true is not supported.");
        string act = c.GetString("hidden_act", "silu")!;
        if (act != "silu") throw new InvalidDataException($"{c.Source}: hidden_act \"{act}\" is not supported (expected silu).");
        if (arch is (ModelArchitecture.Llama or ModelArchitecture.Qwen3) && c.GetBool("attention_bias", false))
            throw new InvalidDataException($"{c.Source}: attention_bias true is not supported for {arch} (it would add q/k/v/o_proj biases).");
        int? window = arch == ModelArchitecture.Mistral ? c.GetIntOrNull("sliding_window") : null;
        CheckLayerTypes(c, c.GetInt("num_hidden_layers"), _ => window is not null);
        var (theta, scaling) = Rope(c);
        return Sizes(c, arch) with
        {
            NormEps = c.GetFloat("rms_norm_eps", 1e-6f),
            RopeTheta = theta,
            RopeScaling = scaling,
            TieWordEmbeddings = c.GetBool("tie_word_embeddings", false),
            AttentionBias = arch == ModelArchitecture.Qwen2,
            HiddenAct = act,
            SlidingWindow = window,
        };
    }

    // The fields every rotary family shares: sizes, heads, key/value heads and head_dim (kept only when it differs from
    // hidden_size / num_attention_heads, so that a written and re-read configuration compares equal).
    private static ModelConfig Sizes(HfConfig c, ModelArchitecture arch, int? defaultHeadDim = null)
    {
        int width = c.GetInt("hidden_size"), heads = c.GetInt("num_attention_heads");
        int? headDim = c.GetIntOrNull("head_dim") ?? defaultHeadDim;
        var m = new ModelConfig
        {
            Architecture = arch,
            VocabSize = c.GetInt("vocab_size"),
            HiddenSize = width,
            Layers = c.GetInt("num_hidden_layers"),
            Heads = heads,
            KvHeads = c.GetIntOrNull("num_key_value_heads") ?? heads,
            IntermediateSize = c.GetInt("intermediate_size"),
            MaxPositions = c.GetInt("max_position_embeddings"),
        };
        return headDim is int d && (heads <= 0 || d * heads != width) ? m with { HeadDim = d } : m;
    }

    // transformers ≥ 4.53 may list layer_types ("sliding_attention" / "full_attention"); they must match what we implement.
    private static void CheckLayerTypes(HfConfig c, int layers, Func<int, bool> sliding)
    {
        if (!c.Has("layer_types")) return;
        var types = c.GetStringArray("layer_types");
        for (int i = 0; i < types.Length; i++)
        {
            string expected = sliding(i) ? "sliding_attention" : "full_attention";
            if (types[i] != expected || types.Length != layers)
                throw new InvalidDataException($"{c.Source}: layer_types[{i}] is \"{types[i]}\" ({types.Length} entries for {layers} layers); " +
                    $"this family supports only \"{expected}\" there.");
        }
    }

    // rope_theta + rope_scaling (transformers 4.x) or rope_parameters (5.x).
    private static (double Theta, Llama3RopeScaling? Scaling) Rope(HfConfig c, bool allowLlama3 = true)
    {
        var parameters = c.GetObject("rope_parameters");
        double theta = parameters?.GetDouble("rope_theta", double.NaN) is double t && !double.IsNaN(t) ? t : c.GetDouble("rope_theta", 10000);
        var s = c.GetObject("rope_scaling") ?? parameters;
        string type = s is null ? "default" : s.GetString("rope_type", null) ?? s.GetString("type", "default")!;
        return type switch
        {
            "default" => (theta, null),
            "llama3" when allowLlama3 => (theta, new Llama3RopeScaling(s!.GetFloat("factor"), s.GetFloat("low_freq_factor"), s.GetFloat("high_freq_factor"),
                s.GetInt("original_max_position_embeddings"))),
            _ => throw new InvalidDataException($"{c.Source}: rope scaling type \"{type}\" is not supported ({(allowLlama3 ? "default or llama3" : "only default")})."),
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
}
