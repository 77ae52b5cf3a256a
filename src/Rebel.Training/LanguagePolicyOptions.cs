// Options every language-model policy trainer shares (REBEL and the baselines): sampling, the KL-shaped reward and the
// reference policy, on top of the loop's PolicyOptions. Each method's record documents the defaults that differ per method.
namespace Rebel.Training;

/// <summary>Sampling and reward-shaping settings of <see cref="LanguagePolicyTrainer"/>.</summary>
public abstract record LanguagePolicyOptions : PolicyOptions
{
    /// <summary>Most new tokens per completion. Default 53 (the REBEL paper's summarisation response length).</summary>
    [Flag("max-new-tokens", "max-completion-length", "response-length")]
    public int MaxNewTokens { get; init; } = 53;

    /// <summary>Sampling temperature; logits are divided by it for sampling and training alike. Default 0.7 (REBEL paper, all methods).</summary>
    public float Temperature { get; init; } = 0.7f;

    /// <summary>
    /// Score that replaces the reward's for completions that end without EOS (the REBEL authors' convention: −1 for summarisation), or
    /// null to keep the reward's score. Default off. Not with <see cref="MissingEosPenalty"/>.
    /// </summary>
    public float? NoEosScore { get; init; }

    /// <summary>
    /// Subtracted from the reward's score of completions that end without EOS (TRL's missing_eos_penalty, e.g. 1.0 in its TL;DR
    /// scripts). Default 0 (none). Not with <see cref="NoEosScore"/>.
    /// </summary>
    public float MissingEosPenalty { get; init; }

    /// <summary>
    /// Hold π_ref's weight matrices in bfloat16 (half the bytes; widened to float32 for each product): its log-probs then
    /// differ from a float32 copy's by the rounding of the weights. Ignored with LoRA (the reference is then the policy's own base
    /// with adapters off, no copy). Default false (float32, as the paper's code keeps it).
    /// </summary>
    [Flag("ref-dtype", FalseValue = "f32", TrueValue = "bf16")]
    public bool ReferenceInBf16 { get; init; }

    /// <summary>Completions per prompt (default per method).</summary>
    [Flag("completions-per-prompt", "num-generations")]
    public abstract int CompletionsPerPrompt { get; init; }

    /// <summary>β of the method's KL term (default per method).</summary>
    [Flag("kl-coef")]
    public abstract float KlCoefficient { get; init; }

    /// <summary>Completions sampled from π_t per prompt: <see cref="CompletionsPerPrompt"/> unless the method takes some from elsewhere.</summary>
    internal virtual int SampledPerPrompt => CompletionsPerPrompt;

    /// <summary>β of the KL-shaped reward in the rollouts: <see cref="KlCoefficient"/>, or 0 where the method puts the KL in its loss instead.</summary>
    internal virtual float RewardKlCoefficient => KlCoefficient;

    /// <summary>Fewest completions per prompt the method can learn from.</summary>
    protected virtual int MinCompletionsPerPrompt => 1;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Require(CompletionsPerPrompt >= MinCompletionsPerPrompt, $"completions per prompt must be at least {MinCompletionsPerPrompt}, got {CompletionsPerPrompt}");
        Require(MaxNewTokens > 0, $"max new tokens must be positive, got {MaxNewTokens}");
        Require(Temperature > 0, $"temperature must be positive for training, got {Temperature}");
        Require(NoEosScore is null || MissingEosPenalty == 0,
            $"--no-eos-score (replace the score, the REBEL authors') and --missing-eos-penalty (subtract from it, TRL's) are two conventions; give one, got {NoEosScore} and {MissingEosPenalty}");
    }
}
