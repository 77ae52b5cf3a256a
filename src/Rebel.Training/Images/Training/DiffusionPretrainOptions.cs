// Options of noise-prediction pretraining, each with its default and where it comes from.
using Rebel.Tensors.Optim;

namespace Rebel.Training.Images.Training;

/// <summary>Options of <see cref="DiffusionPretrainer"/>.</summary>
public sealed record DiffusionPretrainOptions
{
    /// <summary>Optimizer steps. Default 1000.</summary>
    public int Steps { get; init; } = 1000;

    /// <summary>Images per step. Default 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Peak learning rate. Default 1e-3 (small DiT from scratch; DiT itself uses 1e-4 at batch 256 for far longer runs).</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Schedule. Default constant (the quickstart stops early, so a decay would never finish).</summary>
    public LrScheduleKind Schedule { get; init; } = LrScheduleKind.Constant;

    /// <summary>Warmup steps. Default 20.</summary>
    public int WarmupSteps { get; init; } = 20;

    /// <summary>AdamW weight decay. Default 0 (DiT).</summary>
    public float WeightDecay { get; init; }

    /// <summary>Gradient-norm clip. Default 1.</summary>
    public float MaxGradNorm { get; init; } = 1f;

    /// <summary>
    /// Decay d of an exponential moving average of the weights, θ̄ ← d·θ̄ + (1 − d)·θ after each step, with d warmed up as
    /// min(d, (1 + n)/(10 + n)) at step n (diffusers' EMAModel); <see cref="DiffusionPretrainer.Averaged"/> holds θ̄, which samples
    /// better than the last noisy θ of a short run at a constant learning rate. 0 turns it off. Default 0.
    /// </summary>
    public float EmaDecay { get; init; }

    /// <summary>Seed of the data order, timesteps and noise. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throws naming the first invalid option.</summary>
    public void Validate()
    {
        if (Steps < 0) throw new ArgumentException($"Diffusion pretraining: steps {Steps} must not be negative.");
        if (BatchSize < 1) throw new ArgumentException($"Diffusion pretraining: batch size {BatchSize} must be at least 1.");
        if (!(EmaDecay >= 0 && EmaDecay < 1)) throw new ArgumentException($"Diffusion pretraining: EMA decay {EmaDecay} must be in [0, 1).");
        if (!(LearningRate > 0)) throw new ArgumentException($"Diffusion pretraining: learning rate {LearningRate} must be positive.");
    }
}
