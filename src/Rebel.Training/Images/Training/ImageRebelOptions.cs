// Options of REBEL for diffusion models, each with its default and where it comes from.
namespace Rebel.Training.Images.Training;

/// <summary>Options of <see cref="ImageRebelTrainer"/>.</summary>
public sealed record ImageRebelOptions : ImageRlOptions
{
    /// <summary>
    /// η, the paper's step size: the regression fits Δ ln(π_θ/π_t) to η times the difference of standardised rewards (the scale of
    /// the authors' language code; their image code's rebel_lr multiplies the log-ratio instead, i.e. rebel_lr = 1/η). The
    /// log-probs are per-step averages over the image's dimensions, so the log-ratios are small numbers. Default 1.
    /// </summary>
    public float Eta { get; init; } = 1f;

    /// <summary>Epochs over each iteration's pairs. Default 2.</summary>
    public override int Epochs { get; init; } = 2;

    /// <summary>Pairs per optimizer step. Default 8.</summary>
    public override int MiniBatchSize { get; init; } = 8;

    /// <summary>Peak learning rate. Default 1e-4.</summary>
    public override float LearningRate { get; init; } = 1e-4f;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Require(Eta > 0, $"η must be positive, got {Eta}");
    }
}
