// Options of the GRPO trainer (Shao et al. 2024, DeepSeekMath), each with its default and where that default comes from.
namespace Rebel.Training;

/// <summary>Options of <see cref="GrpoTrainer"/>.</summary>
public sealed record GrpoOptions : BaselineOptions
{
    /// <summary>G, completions per prompt (the group). Default 8 (TRL GRPOConfig num_generations).</summary>
    public override int CompletionsPerPrompt { get; init; } = 8;

    /// <summary>β of the per-token k3 KL term in the loss (the reward itself carries no KL). Default 0.04 (DeepSeekMath; TRL's older default).</summary>
    [TrlName("beta")]
    public override float KlCoefficient { get; init; } = 0.04f;

    /// <summary>ε of the clipped ratio. Default 0.2 (TRL GRPOConfig epsilon).</summary>
    [Flag("clip-range", "epsilon")]
    public float ClipRange { get; init; } = 0.2f;

    /// <summary>μ, epochs over each batch. Default 1 (TRL GRPOConfig num_iterations; the ratio is then 1 but keeps the gradient).</summary>
    public override int Epochs { get; init; } = 1;

    /// <summary>Completions per optimizer step. Default 64.</summary>
    public override int MiniBatchSize { get; init; } = 64;

    /// <summary>Peak learning rate. Default 1e-6 (TRL GRPOConfig learning_rate).</summary>
    public override float LearningRate { get; init; } = 1e-6f;

    /// <inheritdoc/>
    internal override float RewardKlCoefficient => 0f;

    /// <inheritdoc/>
    protected override int MinCompletionsPerPrompt => 2;
}
