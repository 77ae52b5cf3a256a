// Options of the REINFORCE-with-baseline trainer (Williams 1992), each with its default and where that default comes from.
namespace Rebel.Training;

/// <summary>Options of <see cref="ReinforceTrainer"/>. The defaults take 64 prompts × 2 completions = 128 completions in minibatches of 64, 1 epoch: 2 optimizer steps per iteration.</summary>
public sealed record ReinforceOptions : BaselineOptions
{
    /// <summary>Completions per prompt. Default 2 (same sample count as REBEL's online setting).</summary>
    public override int CompletionsPerPrompt { get; init; } = 2;

    /// <summary>β of the KL-shaped sequence reward. Default 0.05 (REBEL paper, all methods).</summary>
    public override float KlCoefficient { get; init; } = 0.05f;

    /// <summary>α of the running-mean baseline b ← α·b + (1−α)·mean(r). Default 0.9 (a common choice; Williams leaves it open).</summary>
    public float BaselineDecay { get; init; } = 0.9f;

    /// <summary>Epochs over each batch. Default 1 (on-policy).</summary>
    public override int Epochs { get; init; } = 1;

    /// <summary>
    /// ε of the sequence-level importance ratio's clip, min(ρ·A, clip(ρ, 1−ε, 1+ε)·A): steps after the first on a batch use stale samples.
    /// Default 0.2 (TRL RLOOConfig epsilon).
    /// </summary>
    public float ClipRange { get; init; } = 0.2f;

    /// <summary>Completions per optimizer step. Default 64.</summary>
    public override int MiniBatchSize { get; init; } = 64;

    /// <summary>Peak learning rate. Default 3e-6 (as REBEL).</summary>
    public override float LearningRate { get; init; } = 3e-6f;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Require(BaselineDecay is >= 0 and < 1, $"baseline decay must be in [0, 1), got {BaselineDecay}");
        Require(ClipRange > 0, $"clip range must be positive, got {ClipRange}");
    }
}
