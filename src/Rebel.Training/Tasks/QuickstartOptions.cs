// Settings of `rebel quickstart` on the arithmetic task, tuned to finish within minutes on two CPU cores.
using Rebel.Tensors.Optim;

namespace Rebel.Training.Tasks;

/// <summary>Options of the arithmetic task (<see cref="ArithmeticTaskSetup"/>) and its quickstart.</summary>
public sealed record QuickstartOptions
{
    /// <summary>Seed of the task, the model and the training. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Where the policy computes (supervised training, REBEL, evaluation). Default the host.</summary>
    public global::Rebel.Tensors.TensorDevice Device { get; init; } = global::Rebel.Tensors.TensorDevice.Cpu;

    /// <summary>Held-out problems for accuracy (never trained on). Default 500.</summary>
    public int HeldOut { get; init; } = 500;

    /// <summary>Tokenizer vocabulary size. Default 320.</summary>
    public int VocabSize { get; init; } = 320;

    /// <summary>Model preset. Default tiny.</summary>
    public string Preset { get; init; } = "tiny";

    /// <summary>Supervised settings; <see cref="SftOptions.Steps"/> is the most steps taken if the target is never reached.</summary>
    public SftOptions Sft { get; init; } = new() { Steps = 2000, BatchSize = 32, LearningRate = 1e-3f, Schedule = LrScheduleKind.Constant };

    /// <summary>Supervised training stops once greedy accuracy on a validation split of training problems reaches this ("partly right"). Default 0.35.</summary>
    public double SftTargetAccuracy { get; init; } = 0.35;

    /// <summary>Validation problems carved from the training split (not used for supervised training). Default 200.</summary>
    public int Validation { get; init; } = 200;

    /// <summary>Supervised steps between validation checks. Default 50.</summary>
    public int ValidateEvery { get; init; } = 50;

    /// <summary>
    /// REBEL settings: 8 completions per prompt paired best-vs-worst, sampling at temperature 1, η = 1, a light KL penalty.
    /// The learning rate is the supervised one divided by about 3; larger steps first collapse the policy.
    /// </summary>
    public RebelOptions Rebel { get; init; } = new()
    {
        Iterations = 100,
        PromptsPerIteration = 64,
        CompletionsPerPrompt = 8,
        MaxNewTokens = 6,
        Temperature = 1f,
        KlCoefficient = 0.01f,
        Eta = 1f,
        Epochs = 2,
        MiniBatchPairs = 32,
        LearningRate = 3e-4f,
        AdamEpsilon = 1e-5f,
        CheckpointEvery = 25,
    };
}
