// Options of DDPO (Black et al. 2023, the importance-sampled clipped variant "DDPO_IS"), each with its default and where it comes from.
namespace Rebel.Training.Images.Training;

/// <summary>Options of <see cref="DdpoTrainer"/>.</summary>
public sealed record DdpoOptions : ImageRlOptions
{
    /// <summary>
    /// ε of the per-step clipped ratio. Default 1e-4 (DDPO's clip_range: the step log-probs are averages over dimensions, so
    /// ratios stay very close to 1).
    /// </summary>
    public float ClipRange { get; init; } = 1e-4f;

    /// <summary>Standardised advantages are clipped to ±this. Default 5 (DDPO adv_clip_max).</summary>
    public float AdvantageClip { get; init; } = 5f;

    /// <summary>Epochs over each iteration's samples. Default 2.</summary>
    public override int Epochs { get; init; } = 2;

    /// <summary>Samples per optimizer step. Default 16 (the same images per step as REBEL's 8 pairs).</summary>
    public override int MiniBatchSize { get; init; } = 16;

    /// <summary>Peak learning rate. Default 1e-4.</summary>
    public override float LearningRate { get; init; } = 1e-4f;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Require(ClipRange > 0 && AdvantageClip > 0, $"clip range and advantage clip must be positive, got {ClipRange} and {AdvantageClip}");
    }
}
