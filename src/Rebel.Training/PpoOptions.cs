// Options of the PPO trainer (Schulman et al. 2017; RLHF setup of Ouyang et al. 2022 and TRL), each with its default and where that default comes from.
namespace Rebel.Training;

/// <summary>
/// Options of <see cref="PpoTrainer"/>. The defaults take 64 prompts × 2 completions = 128 completions in minibatches of 16, 4 epochs:
/// 32 optimizer steps per iteration (each also a critic step).
/// </summary>
public sealed record PpoOptions : BaselineOptions
{
    /// <summary>Completions per prompt. Default 2 (same sample count as REBEL's online setting).</summary>
    public override int CompletionsPerPrompt { get; init; } = 2;

    /// <summary>β of the per-token KL penalty −β·(ln π_old − ln π_ref) in the reward. Default 0.05 (REBEL paper, TRL PPOConfig kl_coef).</summary>
    public override float KlCoefficient { get; init; } = 0.05f;

    /// <summary>ε of the clipped ratio. Default 0.2 (REBEL paper, TRL cliprange).</summary>
    [Flag("clip-range", "cliprange")]
    public float ClipRange { get; init; } = 0.2f;

    /// <summary>Value clipping range. Default 0.2 (REBEL paper, TRL cliprange_value).</summary>
    [Flag("value-clip-range", "cliprange-value")]
    public float ValueClipRange { get; init; } = 0.2f;

    /// <summary>γ of GAE. Default 1 (REBEL paper, TRL).</summary>
    public float Gamma { get; init; } = 1f;

    /// <summary>λ of GAE. Default 0.95 (REBEL paper, TRL lam).</summary>
    [Flag("gae-lambda", "lam")]
    public float Lambda { get; init; } = 0.95f;

    /// <summary>Whiten advantages over the batch. Default true (REBEL paper, TRL).</summary>
    public bool WhitenAdvantages { get; init; } = true;

    /// <summary>Whiten the per-token rewards over the batch before GAE, keeping their mean. Default false (TRL PPOConfig whiten_rewards).</summary>
    public bool WhitenRewards { get; init; }

    /// <summary>Per-token KL estimate in the reward: k1 or k3 (see <see cref="Losses.KlEstimator"/>). Default k1 (TRL PPOConfig kl_estimator).</summary>
    public Losses.KlEstimator KlEstimator { get; init; } = Losses.KlEstimator.K1;

    /// <summary>
    /// Start the critic (body and value head) as a copy of the reward model, which must be an rm: reward reading the policy's
    /// vocabulary, as the REBEL authors and TRL do for TL;DR. Default false (a copy of the policy with a zero value head).
    /// </summary>
    public bool CriticFromRewardModel { get; init; }

    /// <summary>PPO epochs over each batch. Default 4 (REBEL paper, TRL num_ppo_epochs).</summary>
    public override int Epochs { get; init; } = 4;

    /// <summary>Completions per optimizer step. Default 16.</summary>
    public override int MiniBatchSize { get; init; } = 16;

    /// <summary>Peak learning rate of policy and critic. Default 3e-6 (REBEL paper, summarisation).</summary>
    public override float LearningRate { get; init; } = 3e-6f;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Require(ClipRange > 0 && ValueClipRange > 0, "clip ranges must be positive");
        Require(Lambda is >= 0 and <= 1 && Gamma is >= 0 and <= 1, "γ and λ must lie in [0, 1]");
    }
}
