// Options of the online (iterative) DPO trainer (Guo et al. 2024; the REBEL paper's iterative DPO), each with its default and where that default comes from.
namespace Rebel.Training;

/// <summary>
/// Options of <see cref="OnlineDpoTrainer"/>. The defaults take 64 prompts → 64 best-vs-worst pairs (fewer when a prompt's completions
/// tie) in minibatches of 32 pairs, 1 epoch: 2 optimizer steps per iteration.
/// </summary>
public sealed record OnlineDpoOptions : BaselineOptions
{
    /// <summary>Completions per prompt; the best and worst by reward form the pair. Default 2 (sample two, label by reward).</summary>
    public override int CompletionsPerPrompt { get; init; } = 2;

    /// <inheritdoc/>
    internal override int UpdateItemsPerIteration => PromptsPerIteration;

    /// <summary>β of DPO's implicit reward. Default 0.1 (TRL OnlineDPOConfig beta).</summary>
    public float Beta { get; init; } = 0.1f;

    /// <summary>β of the KL-shaped reward used to label pairs. Default 0 (pairs labelled by the score alone, as TRL).</summary>
    public override float KlCoefficient { get; init; }

    /// <summary>Epochs over each batch of pairs. Default 1 (TRL).</summary>
    public override int Epochs { get; init; } = 1;

    /// <summary>Pairs per optimizer step. Default 32.</summary>
    public override int MiniBatchSize { get; init; } = 32;

    /// <summary>Peak learning rate. Default 5e-7 (TRL OnlineDPOConfig learning_rate).</summary>
    public override float LearningRate { get; init; } = 5e-7f;

    /// <inheritdoc/>
    protected override int MinCompletionsPerPrompt => 2;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Require(Beta > 0, $"beta must be positive, got {Beta}");
    }
}
