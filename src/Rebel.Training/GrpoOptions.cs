// Options of the GRPO trainer (Shao et al. 2024, DeepSeekMath; TRL's GRPOConfig), each with its default and where that default comes from.
using Rebel.Training.Losses;

namespace Rebel.Training;

/// <summary>
/// Options of <see cref="GrpoTrainer"/>. The defaults take 64 prompts × 8 completions = 512 completions in minibatches of 64, 1 epoch:
/// 8 optimizer steps per iteration.
/// </summary>
public sealed record GrpoOptions : BaselineOptions
{
    /// <summary>G, completions per prompt (the group). Default 8 (TRL GRPOConfig num_generations).</summary>
    public override int CompletionsPerPrompt { get; init; } = 8;

    /// <summary>
    /// β of the per-token k3 KL term in the loss (the reward itself carries no KL). Default 0 (TRL GRPOConfig beta; DeepSeekMath used
    /// 0.04): at 0 no reference log-probs are computed for the loss, as TRL then loads no reference model (ours still keeps π_ref for the
    /// objective/kl metric).
    /// </summary>
    [TrlName("beta")]
    public override float KlCoefficient { get; init; }

    /// <summary>ε of the clipped ratio, clip(ρ, 1−ε, 1+ε_high). Default 0.2 (TRL GRPOConfig epsilon).</summary>
    [Flag("clip-range", "epsilon")]
    public float ClipRange { get; init; } = 0.2f;

    /// <summary>ε_high, the upper clip (DAPO's clip-higher; DAPO recommends 0.28), or null for ε. Default null (TRL GRPOConfig epsilon_high).</summary>
    public float? EpsilonHigh { get; init; }

    /// <summary>How the per-token losses are averaged: grpo, dr-grpo, dapo or bnpo (see <see cref="GrpoLossType"/>). Default dapo (TRL GRPOConfig loss_type).</summary>
    public GrpoLossType LossType { get; init; } = GrpoLossType.Dapo;

    /// <summary>Advantage scaling after the group mean is subtracted: group, batch or none. Default group (TRL GRPOConfig scale_rewards).</summary>
    public RewardScaling ScaleRewards { get; init; } = RewardScaling.Group;

    /// <summary>Leave completions that hit the length limit without EOS out of the loss (DAPO). Default false (TRL GRPOConfig mask_truncated_completions).</summary>
    public bool MaskTruncatedCompletions { get; init; }

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

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Require(ClipRange > 0 && (EpsilonHigh ?? ClipRange) > 0, $"clip ranges must be positive, got ε = {ClipRange}, ε_high = {EpsilonHigh}");
        Require(KlCoefficient >= 0, $"β must not be negative, got {KlCoefficient}");
    }
}
