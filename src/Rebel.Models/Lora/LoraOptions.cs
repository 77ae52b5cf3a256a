// LoRA settings (Hu et al. 2021, as Hugging Face PEFT's LoraConfig names them) and PEFT's default target modules per model type.
namespace Rebel.Models.Lora;

/// <summary>Which linear layers get low-rank adapters, and their rank, scale and dropout. Defaults are PEFT's LoraConfig defaults.</summary>
public sealed record LoraOptions
{
    /// <summary>r, the adapter rank (default 8, PEFT's LoraConfig.r).</summary>
    public int Rank { get; init; } = 8;

    /// <summary>lora_alpha; the update is scaled by alpha / r (default 8, PEFT's LoraConfig.lora_alpha).</summary>
    public float Alpha { get; init; } = 8f;

    /// <summary>lora_dropout, applied to the adapter's input while training (default 0, PEFT's LoraConfig.lora_dropout).</summary>
    public float Dropout { get; init; }

    /// <summary>
    /// target_modules: module names matched as PEFT matches a list (the module path equals the name or ends with "." + name);
    /// null means PEFT's default for the model type (<see cref="DefaultTargets"/>).
    /// </summary>
    public IReadOnlyList<string>? Targets { get; init; }

    /// <summary>alpha / r, the factor of B·A.</summary>
    public float Scale => Alpha / Rank;

    /// <summary>
    /// PEFT's default target_modules for a model type (its TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING): the attention's
    /// query and value projections, or the fused projection that holds them.
    /// </summary>
    public static IReadOnlyList<string> DefaultTargets(ModelArchitecture architecture) => architecture switch
    {
        ModelArchitecture.Gpt2 => ["c_attn"],
        ModelArchitecture.GptNeoX => ["query_key_value"],
        ModelArchitecture.Phi3 => ["qkv_proj"],
        _ => ["q_proj", "v_proj"],
    };

    /// <summary>Checks the values; <paramref name="source"/> names where they came from in the message.</summary>
    public void Validate(string source)
    {
        if (Rank < 1) throw new ArgumentException($"{source}: LoRA rank r must be at least 1 (got {Rank}).");
        if (!float.IsFinite(Alpha) || Alpha <= 0) throw new ArgumentException($"{source}: lora_alpha must be positive (got {Alpha}).");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"{source}: lora_dropout must be in [0, 1) (got {Dropout}).");
        if (Targets is { Count: 0 }) throw new ArgumentException($"{source}: target_modules is empty.");
    }
}
