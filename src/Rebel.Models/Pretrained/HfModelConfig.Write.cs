// Writes a ModelConfig as the config.json of its family (the keys FromHf reads back to an equal ModelConfig).
using System.Text.Json.Nodes;
using Rebel.Models.IO;

namespace Rebel.Models.Pretrained;

public static partial class HfModelConfig
{
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
            case ModelArchitecture.Phi3:
                Common(c, m);
                c.Set("num_key_value_heads", m.KvHeads);
                c.Set("rms_norm_eps", m.NormEps);
                c.Set("rope_theta", m.RopeTheta);
                c["rope_scaling"] = null;
                c.Set("partial_rotary_factor", m.RotaryPct);
                c["sliding_window"] = m.SlidingWindow;
                c.Set("hidden_act", "silu");
                c.Set("attention_bias", false);
                break;
            case ModelArchitecture.Gemma2:
                Common(c, m);
                c.Set("num_key_value_heads", m.KvHeads);
                c.Set("head_dim", m.HeadDim);
                c.Set("rms_norm_eps", m.NormEps);
                c.Set("rope_theta", m.RopeTheta);
                c.Set("query_pre_attn_scalar", m.QueryPreAttnScalar);
                c["attn_logit_softcapping"] = m.AttnLogitSoftcapping; // an explicit null: a missing key means Gemma-2's default
                c["final_logit_softcapping"] = m.FinalLogitSoftcapping;
                c["sliding_window"] = m.SlidingWindow;
                c.Set("hidden_activation", m.HiddenAct);
                c.Set("hidden_act", m.HiddenAct);
                c.Set("attention_bias", false);
                break;
            default:
                Common(c, m);
                c.Set("num_key_value_heads", m.KvHeads);
                c.Set("head_dim", m.HeadDim);
                c.Set("rms_norm_eps", m.NormEps);
                c.Set("rope_theta", m.RopeTheta);
                c.Set("hidden_act", "silu");
                if (m.Architecture is ModelArchitecture.Llama or ModelArchitecture.Qwen3) c.Set("attention_bias", false);
                if (m.Architecture is ModelArchitecture.Qwen2 or ModelArchitecture.Qwen3) c.Set("use_sliding_window", false);
                if (m.Architecture == ModelArchitecture.Mistral) c["sliding_window"] = m.SlidingWindow;
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
