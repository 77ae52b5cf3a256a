// Options of the RLOO trainer (Ahmadian et al. 2024, "Back to Basics"), each with its default and where that default comes from.
namespace Rebel.Training;

/// <summary>Options of <see cref="RlooTrainer"/>. The defaults take 64 prompts × 4 completions = 256 completions in minibatches of 64, 1 epoch: 4 optimizer steps per iteration.</summary>
public sealed record RlooOptions : BaselineOptions
{
    /// <summary>k, completions per prompt; each is baselined by the mean of the other k−1. Default 4 (TRL RLOOConfig rloo_k = 2; the paper's best k = 4).</summary>
    [Flag("completions-per-prompt", "num-generations", "rloo-k")]
    public override int CompletionsPerPrompt { get; init; } = 4;

    /// <summary>β of the KL-shaped sequence reward r = score − β·Σ(ln π_t − ln π_ref). Default 0.05 (TRL RLOOConfig kl_coef).</summary>
    [TrlName("beta")]
    public override float KlCoefficient { get; init; } = 0.05f;

    /// <summary>Epochs over each batch. Default 1 (on-policy, as in the paper).</summary>
    public override int Epochs { get; init; } = 1;

    /// <summary>
    /// ε of the sequence-level importance ratio's clip, min(ρ·A, clip(ρ, 1−ε, 1+ε)·A): steps after the first on a batch use stale samples.
    /// Default 0.2 (TRL RLOOConfig epsilon).
    /// </summary>
    public float ClipRange { get; init; } = 0.2f;

    /// <summary>Completions per optimizer step. Default 64.</summary>
    public override int MiniBatchSize { get; init; } = 64;

    /// <summary>Peak learning rate. Default 3e-6 (as REBEL, the paper's summarisation setting).</summary>
    public override float LearningRate { get; init; } = 3e-6f;

    /// <inheritdoc/>
    protected override int MinCompletionsPerPrompt => 2;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Require(ClipRange > 0, $"clip range must be positive, got {ClipRange}");
    }
}
