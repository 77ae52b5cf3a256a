// Options every policy trainer shares (language REBEL and baselines, image REBEL and DDPO): the budget, the optimizer, the
// schedule, the seed and checkpoints. Each family's record derives from this one and overrides the defaults that differ.
using Rebel.Tensors.Optim;

namespace Rebel.Training;

/// <summary>The settings of <see cref="PolicyTrainer{TRollout}"/>'s loop, and their shared validation.</summary>
public abstract record PolicyOptions
{
    /// <summary>Policy iterations t = 0 … T−1. Default 100 (language; images 60).</summary>
    public virtual int Iterations { get; init; } = 100;

    /// <summary>Prompts per iteration. Default 64 (language; images 32; the paper's summarisation runs use 512).</summary>
    public virtual int PromptsPerIteration { get; init; } = 64;

    /// <summary>Inner epochs over each batch (default per method).</summary>
    [Flag("epochs", "num-ppo-epochs")]
    public abstract int Epochs { get; init; }

    /// <summary>Peak learning rate (default per method).</summary>
    [Flag("lr")]
    public abstract float LearningRate { get; init; }

    /// <summary>Learning-rate schedule over all optimizer steps. Default linear decay (paper, TRL; images constant as DDPO).</summary>
    [Flag("schedule", "lr-scheduler-type")]
    public virtual LrScheduleKind Schedule { get; init; } = LrScheduleKind.Linear;

    /// <summary>Linear warmup optimizer steps. Default 0.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>AdamW ε. Default 1e-5 (REBEL authors' code, TRL's RLHF trainers; images 1e-8 as DDPO and PyTorch).</summary>
    [Flag("adam-eps")]
    public virtual float AdamEpsilon { get; init; } = 1e-5f;

    /// <summary>AdamW decoupled weight decay. Default 0.</summary>
    public float WeightDecay { get; init; }

    /// <summary>Global gradient-norm clip. Default 1.0 (TRL max_grad_norm, DDPO).</summary>
    public float MaxGradNorm { get; init; } = 1f;

    /// <summary>Seed of every random choice (data order, sampling, minibatch order). Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Write a checkpoint every N iterations (0 = only at the end). Default 0.</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Throws ArgumentException naming the first invalid option.</summary>
    public virtual void Validate()
    {
        Require(Iterations > 0, $"iterations must be positive, got {Iterations}");
        Require(PromptsPerIteration > 0, $"prompts per iteration must be positive, got {PromptsPerIteration}");
        Require(Epochs > 0, $"epochs must be positive, got {Epochs}");
        Require(LearningRate >= 0, $"learning rate must be non-negative, got {LearningRate}");
        Require(WarmupSteps >= 0 && CheckpointEvery >= 0, "warmup steps and checkpoint interval must not be negative");
    }

    /// <summary>Throws ArgumentException naming this record and <paramref name="what"/> unless <paramref name="ok"/>.</summary>
    protected void Require(bool ok, string what)
    {
        if (!ok) throw new ArgumentException($"{GetType().Name}: {what}.");
    }
}
