// Settings of `rebel quickstart`, tuned to finish within minutes on two CPU cores.
using Rebel.Tensors.Optim;

namespace Rebel.Training.Tasks;

/// <summary>Options of <see cref="Quickstart"/>.</summary>
public sealed record QuickstartOptions
{
    /// <summary>Output folder. Default runs/quickstart.</summary>
    public string OutputDirectory { get; init; } = Path.Combine("runs", "quickstart");

    /// <summary>Seed of the task, the model and the training. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Held-out problems for accuracy (never trained on). Default 500.</summary>
    public int HeldOut { get; init; } = 500;

    /// <summary>Tokenizer vocabulary size. Default 320.</summary>
    public int VocabSize { get; init; } = 320;

    /// <summary>Model preset. Default tiny.</summary>
    public string Preset { get; init; } = "tiny";

    /// <summary>Supervised settings (stopped early so the model is only partly right).</summary>
    public SftOptions Sft { get; init; } = new() { Steps = 700, BatchSize = 32, LearningRate = 1e-3f, Schedule = LrScheduleKind.Constant };

    /// <summary>REBEL settings.</summary>
    public RebelOptions Rebel { get; init; } = new()
    {
        Iterations = 40,
        PromptsPerIteration = 64,
        CompletionsPerPrompt = 4,
        MaxNewTokens = 6,
        Temperature = 1f,
        KlCoefficient = 0.01f,
        Eta = 1f,
        Epochs = 2,
        MiniBatchPairs = 32,
        LearningRate = 3e-4f,
        AdamEpsilon = 1e-5f,
    };
}
