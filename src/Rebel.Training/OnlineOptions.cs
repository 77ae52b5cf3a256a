// Options every online baseline (PPO, RLOO, REINFORCE, GRPO, online DPO) shares, each with its default and where that default
// comes from; each method's sealed record derives from this one and documents the settings whose defaults differ per method.
using Rebel.Tensors.Optim;

namespace Rebel.Training;

/// <summary>Settings every online trainer's options record provides, and their shared validation.</summary>
public abstract record OnlineOptions
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

    /// <summary>Completions sampled per prompt (default per method).</summary>
    public abstract int CompletionsPerPrompt { get; init; }

    /// <summary>β of the method's KL term (default per method).</summary>
    public abstract float KlCoefficient { get; init; }

    /// <summary>Inner epochs over each batch (default per method).</summary>
    public abstract int Epochs { get; init; }

    /// <summary>Samples (or pairs) per optimizer step (default per method).</summary>
    public abstract int MiniBatchSize { get; init; }

    /// <summary>Peak learning rate (default per method).</summary>
    public abstract float LearningRate { get; init; }

    /// <summary>β of the KL-shaped reward in the rollouts: <see cref="KlCoefficient"/>, or 0 where the method puts the KL in its loss instead.</summary>
    internal virtual float RewardKlCoefficient => KlCoefficient;

    /// <summary>Fewest completions per prompt the method can learn from.</summary>
    protected virtual int MinCompletionsPerPrompt => 1;

    /// <summary>Throws ArgumentException naming the first invalid option.</summary>
    public virtual void Validate()
    {
        Require(Iterations > 0 && PromptsPerIteration > 0 && MaxNewTokens > 0 && Epochs > 0 && MiniBatchSize > 0,
            "iterations, prompts, max new tokens, epochs and minibatch size must be positive");
        Require(CompletionsPerPrompt >= MinCompletionsPerPrompt, $"completions per prompt must be at least {MinCompletionsPerPrompt}, got {CompletionsPerPrompt}");
        Require(Temperature > 0, $"temperature must be positive for training, got {Temperature}");
        Require(LearningRate >= 0, $"learning rate must be non-negative, got {LearningRate}");
    }

    /// <summary>Throws ArgumentException naming this record and <paramref name="what"/> unless <paramref name="ok"/>.</summary>
    protected void Require(bool ok, string what)
    {
        if (!ok) throw new ArgumentException($"{GetType().Name}: {what}.");
    }
}
