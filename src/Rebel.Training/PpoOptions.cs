// Options of the PPO trainer (Schulman et al. 2017; RLHF setup of Ouyang et al. 2022 and TRL), each with its default and where that default comes from.
using Rebel.Tensors.Optim;

namespace Rebel.Training;

/// <summary>Options of <see cref="PpoTrainer"/>.</summary>
public sealed record PpoOptions : IOnlineOptions
{
    /// <summary>Policy iterations. Default 100 (as <see cref="RebelOptions.Iterations"/>, so runs compare at equal sample counts).</summary>
    public int Iterations { get; init; } = 100;

    /// <summary>Prompts per iteration. Default 64 (as REBEL).</summary>
    public int PromptsPerIteration { get; init; } = 64;

    /// <summary>Most new tokens per completion. Default 53 (the REBEL paper's summarisation response length).</summary>
    public int MaxNewTokens { get; init; } = 53;

    /// <summary>Sampling temperature, also applied to training log-probs. Default 0.7 (REBEL paper, all methods).</summary>
    public float Temperature { get; init; } = 0.7f;

    /// <summary>Score for completions without EOS, or null to keep the reward's score. Default off (the paper uses −1).</summary>
    public float? NoEosScore { get; init; }

    /// <summary>Learning-rate schedule. Default linear decay (TRL).</summary>
    public LrScheduleKind Schedule { get; init; } = LrScheduleKind.Linear;

    /// <summary>AdamW ε. Default 1e-5 (TRL's RLHF trainers, REBEL authors' code).</summary>
    public float AdamEpsilon { get; init; } = 1e-5f;

    /// <summary>Global gradient-norm clip. Default 1.0 (TRL max_grad_norm).</summary>
    public float MaxGradNorm { get; init; } = 1f;

    /// <summary>Seed of every random choice. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Write a checkpoint every N iterations (0 = only at the end). Default 0.</summary>
    public int CheckpointEvery { get; init; }


    /// <summary>Completions per prompt. Default 2 (same sample count as REBEL's online setting).</summary>
    public int CompletionsPerPrompt { get; init; } = 2;

    /// <summary>β of the per-token KL penalty −β·(ln π_old − ln π_ref) in the reward. Default 0.05 (REBEL paper, TRL PPOConfig kl_coef).</summary>
    public float KlCoefficient { get; init; } = 0.05f;

    /// <summary>ε of the clipped ratio. Default 0.2 (REBEL paper, TRL cliprange).</summary>
    public float ClipRange { get; init; } = 0.2f;

    /// <summary>Value clipping range. Default 0.2 (REBEL paper, TRL cliprange_value).</summary>
    public float ValueClipRange { get; init; } = 0.2f;

    /// <summary>γ of GAE. Default 1 (REBEL paper, TRL).</summary>
    public float Gamma { get; init; } = 1f;

    /// <summary>λ of GAE. Default 0.95 (REBEL paper, TRL lam).</summary>
    public float Lambda { get; init; } = 0.95f;

    /// <summary>Whiten advantages over the batch. Default true (REBEL paper, TRL).</summary>
    public bool WhitenAdvantages { get; init; } = true;

    /// <summary>PPO epochs over each batch. Default 4 (REBEL paper, TRL num_ppo_epochs).</summary>
    public int Epochs { get; init; } = 4;

    /// <summary>Completions per optimizer step. Default 16.</summary>
    public int MiniBatchSize { get; init; } = 16;

    /// <summary>Peak learning rate of policy and critic. Default 3e-6 (REBEL paper, summarisation).</summary>
    public float LearningRate { get; init; } = 3e-6f;

    float IOnlineOptions.RewardKlCoefficient => KlCoefficient;

    /// <summary>Throws ArgumentException naming the first invalid option.</summary>
    public void Validate()
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new ArgumentException($"PpoOptions: {what}.");
        }
        Require(Iterations > 0 && PromptsPerIteration > 0 && MaxNewTokens > 0 && Epochs > 0 && MiniBatchSize > 0,
            "iterations, prompts, max new tokens, epochs and minibatch size must be positive");
        Require(CompletionsPerPrompt >= 1, $"completions per prompt must be at least 1, got {CompletionsPerPrompt}");
        Require(Temperature > 0, $"temperature must be positive for training, got {Temperature}");
        Require(LearningRate >= 0, $"learning rate must be non-negative, got {LearningRate}");
        Require(ClipRange > 0 && ValueClipRange > 0, "clip ranges must be positive");
        Require(Lambda is >= 0 and <= 1 && Gamma is >= 0 and <= 1, "γ and λ must lie in [0, 1]");
    }
}
