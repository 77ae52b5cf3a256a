// config.json keys of Phi-3 (fused projections, partial rotary, sliding window) and Gemma 2 (soft caps, query_pre_attn_scalar,
// alternating sliding window), read into ModelConfig with Hugging Face's defaults for missing keys.
using Rebel.Models.IO;

namespace Rebel.Models.Pretrained;

public static partial class HfModelConfig
{
    // Phi3Config: rope_scaling "longrope"/"su" (Phi-3 128k, Phi-3.5, Phi-4-mini) is rejected; partial_rotary_factor defaults to 1.
    private static ModelConfig Phi3(HfConfig c)
    {
        string act = c.GetString("hidden_act", "silu")!;
        if (act != "silu") throw new InvalidDataException($"{c.Source}: hidden_act \"{act}\" is not supported for Phi-3 (expected silu).");
        if (c.GetBool("attention_bias", false)) throw new InvalidDataException($"{c.Source}: attention_bias true is not supported for Phi-3.");
        if (c.GetObject("rope_scaling") is { } s && (s.GetString("rope_type", null) ?? s.GetString("type", "default")) is var type && type != "default")
            throw new InvalidDataException($"{c.Source}: rope_scaling type \"{type}\" is not supported for Phi-3 (only rope_scaling null; " +
                "the longrope/su scaling of the 128k-context Phi-3, Phi-3.5 and Phi-4-mini checkpoints is not implemented).");
        var (theta, _) = Rope(c, allowLlama3: false);
        var m = Sizes(c, ModelArchitecture.Phi3);
        if (m.HeadDim * m.Heads != m.HiddenSize)
            throw new InvalidDataException($"{c.Source}: head_dim {m.HeadDim} differs from hidden_size / num_attention_heads; Phi-3 derives it from them.");
        float pct = c.GetFloatOrNull("partial_rotary_factor") ?? c.GetObject("rope_parameters")?.GetFloatOrNull("partial_rotary_factor") ?? 1f;
        int? window = c.GetIntOrNull("sliding_window");
        CheckLayerTypes(c, m.Layers, _ => window is not null);
        return m with
        {
            NormEps = c.GetFloat("rms_norm_eps", 1e-5f),
            RopeTheta = theta,
            RotaryPct = pct,
            TieWordEmbeddings = c.GetBool("tie_word_embeddings", false),
            HiddenAct = act,
            SlidingWindow = window,
        };
    }

    // Gemma2Config defaults: head_dim 256, query_pre_attn_scalar 256, attn_logit_softcapping 50, final_logit_softcapping 30,
    // sliding_window 4096 (an explicit null turns a soft cap or the window off), hidden_activation gelu_pytorch_tanh, tied head.
    private static ModelConfig Gemma2(HfConfig c)
    {
        string act = c.GetString("hidden_activation", null) ?? c.GetString("hidden_act", "gelu_pytorch_tanh")!;
        if (act is not ("gelu_pytorch_tanh" or "gelu_new" or "gelu_fast" or "gelu"))
            throw new InvalidDataException($"{c.Source}: hidden_activation \"{act}\" is not supported for Gemma 2 (expected gelu_pytorch_tanh).");
        if (!c.GetBool("tie_word_embeddings", true)) throw new InvalidDataException($"{c.Source}: Gemma 2 with tie_word_embeddings false is not supported.");
        if (c.GetBool("attention_bias", false)) throw new InvalidDataException($"{c.Source}: attention_bias true is not supported for Gemma 2.");
        var (theta, _) = Rope(c, allowLlama3: false);
        float? Optional(string key, float defaultValue) => c.Root.ContainsKey(key) ? c.GetFloatOrNull(key) : defaultValue;
        int? window = c.Root.ContainsKey("sliding_window") ? c.GetIntOrNull("sliding_window") : 4096;
        var m = Sizes(c, ModelArchitecture.Gemma2, defaultHeadDim: 256);
        CheckLayerTypes(c, m.Layers, i => window is not null && i % 2 == 0);
        return m with
        {
            NormEps = c.GetFloat("rms_norm_eps", 1e-6f),
            RopeTheta = theta,
            TieWordEmbeddings = true,
            HiddenAct = act,
            SlidingWindow = window,
            QueryPreAttnScalar = c.GetFloat("query_pre_attn_scalar", 256f),
            AttnLogitSoftcapping = Optional("attn_logit_softcapping", 50f),
            FinalLogitSoftcapping = Optional("final_logit_softcapping", 30f),
        };
    }
}
