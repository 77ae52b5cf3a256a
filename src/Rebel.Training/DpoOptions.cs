// Options of the offline DPO trainer (Rafailov et al. 2023), each with its default and where that default comes from.
using Rebel.Tensors.Optim;

namespace Rebel.Training;

/// <summary>Options of <see cref="DpoTrainer"/>.</summary>
public sealed record DpoOptions
{
    /// <summary>β of the implicit reward β·ln π_θ/π_ref. Default 0.1 (DPO paper, TRL DPOConfig beta).</summary>
    public float Beta { get; init; } = 0.1f;

    /// <summary>Passes over the pairs. Default 1 (DPO paper).</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Pairs per optimizer step. Default 64 (DPO paper batch size).</summary>
    public int BatchPairs { get; init; } = 64;

    /// <summary>Peak learning rate. Default 1e-6 (DPO paper, TRL DPOConfig learning_rate).</summary>
    public float LearningRate { get; init; } = 1e-6f;

    /// <summary>Learning-rate schedule. Default linear decay (TRL).</summary>
    public LrScheduleKind Schedule { get; init; } = LrScheduleKind.Linear;

    /// <summary>Linear warmup optimizer steps. Default 0 (the paper warms up over 150 steps at its scale).</summary>
    public int WarmupSteps { get; init; }

    /// <summary>AdamW ε. Default 1e-8 (PyTorch/TRL AdamW default).</summary>
    public float AdamEpsilon { get; init; } = 1e-8f;

    /// <summary>Global gradient-norm clip. Default 1.0 (TRL max_grad_norm).</summary>
    public float MaxGradNorm { get; init; } = 1f;

    /// <summary>Seed of the pair order. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throws ArgumentException naming the first invalid option.</summary>
    public void Validate()
    {
        if (!(Beta > 0)) throw new ArgumentException($"DpoOptions: beta must be positive, got {Beta}.");
        if (Epochs <= 0 || BatchPairs <= 0) throw new ArgumentException("DpoOptions: epochs and batch pairs must be positive.");
        if (LearningRate < 0) throw new ArgumentException($"DpoOptions: learning rate must be non-negative, got {LearningRate}.");
    }
}
