// Options of the RLOO trainer (Ahmadian et al. 2024, "Back to Basics"), each with its default and where that default comes from.
using Rebel.Tensors.Optim;

namespace Rebel.Training;

/// <summary>Options of <see cref="RlooTrainer"/>.</summary>
public sealed record RlooOptions : IOnlineOptions
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


    /// <summary>k, completions per prompt; each is baselined by the mean of the other k−1. Default 4 (TRL RLOOConfig rloo_k = 2; the paper's best k = 4).</summary>
    public int CompletionsPerPrompt { get; init; } = 4;

    /// <summary>β of the KL-shaped sequence reward r = score − β·Σ(ln π_t − ln π_ref). Default 0.05 (TRL RLOOConfig kl_coef).</summary>
    public float KlCoefficient { get; init; } = 0.05f;

    /// <summary>Epochs over each batch. Default 1 (on-policy, as in the paper).</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Completions per optimizer step. Default 64.</summary>
    public int MiniBatchSize { get; init; } = 64;

    /// <summary>Peak learning rate. Default 3e-6 (as REBEL, the paper's summarisation setting).</summary>
    public float LearningRate { get; init; } = 3e-6f;

    float IOnlineOptions.RewardKlCoefficient => KlCoefficient;

    /// <summary>Throws ArgumentException naming the first invalid option.</summary>
    public void Validate()
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new ArgumentException($"RlooOptions: {what}.");
        }
        Require(Iterations > 0 && PromptsPerIteration > 0 && MaxNewTokens > 0 && Epochs > 0 && MiniBatchSize > 0,
            "iterations, prompts, max new tokens, epochs and minibatch size must be positive");
        Require(CompletionsPerPrompt >= 2, $"completions per prompt must be at least 2, got {CompletionsPerPrompt}");
        Require(Temperature > 0, $"temperature must be positive for training, got {Temperature}");
        Require(LearningRate >= 0, $"learning rate must be non-negative, got {LearningRate}");
    }
}
