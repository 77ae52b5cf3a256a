// Options of Bradley–Terry reward-model training, each with its default and where it comes from.
using Rebel.Tensors.Optim;

namespace Rebel.Training;

/// <summary>Options of <see cref="RewardModelTrainer"/>.</summary>
public sealed record RewardModelOptions
{
    /// <summary>Passes over the training pairs. Default 1 (InstructGPT trained its reward model for one epoch: more overfits).</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Pairs per optimizer step (each pair is two sequences). Default 16.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Peak learning rate. Default 1e-5 (pretrained models; use ~1e-3 for tiny from-scratch ones).</summary>
    public float LearningRate { get; init; } = 1e-5f;

    /// <summary>Schedule. Default linear decay to zero (Hugging Face Trainer's default).</summary>
    public LrScheduleKind Schedule { get; init; } = LrScheduleKind.Linear;

    /// <summary>Warmup steps. Default 0 (Hugging Face Trainer's default).</summary>
    public int WarmupSteps { get; init; }

    /// <summary>AdamW weight decay. Default 0 (Hugging Face Trainer's default).</summary>
    public float WeightDecay { get; init; }

    /// <summary>Gradient-norm clip. Default 1 (Hugging Face Trainer's default).</summary>
    public float MaxGradNorm { get; init; } = 1f;

    /// <summary>Fraction of pairs held out to measure pairwise accuracy, in [0, 1). Default 0.1.</summary>
    public double HeldOutFraction { get; init; } = 0.1;

    /// <summary>Seed of the held-out split, the data order and the head's initialisation. Default 1.</summary>
    public ulong Seed { get; init; } = 1;
}
