// Options of supervised fine-tuning, each with its default and where it comes from.
using Rebel.Tensors.Optim;

namespace Rebel.Training;

/// <summary>Options of <see cref="SftTrainer"/>.</summary>
public sealed record SftOptions
{
    /// <summary>Optimizer steps. Default 500.</summary>
    public int Steps { get; init; } = 500;

    /// <summary>Examples per step. Default 32.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Peak learning rate. Default 1e-3 (small from-scratch models; use ~1e-5 for pretrained ones).</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Schedule. Default cosine.</summary>
    public LrScheduleKind Schedule { get; init; } = LrScheduleKind.Cosine;

    /// <summary>Warmup steps. Default 20.</summary>
    public int WarmupSteps { get; init; } = 20;

    /// <summary>AdamW weight decay. Default 0.01 (PyTorch).</summary>
    public float WeightDecay { get; init; } = 0.01f;

    /// <summary>Gradient-norm clip. Default 1.</summary>
    public float MaxGradNorm { get; init; } = 1f;

    /// <summary>Seed for the data order. Default 1.</summary>
    public ulong Seed { get; init; } = 1;
}
