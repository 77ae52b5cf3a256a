// Options of the A*-PO trainer (Brantley, Chen, Gao, Sun et al. 2025, arXiv 2505.20686), each with its default and where that
// default comes from: the authors' scripts (github.com/ZhaolinGao/A-PO, scripts/apo_math.sh) and TRL's experimental A2POConfig.
namespace Rebel.Training;

/// <summary>Options of <see cref="ApoTrainer"/>.</summary>
public sealed record ApoOptions : BaselineOptions
{
    /// <summary>Completions per prompt in stage 2. Always 1: A*-PO learns from one on-policy sample per prompt (its baseline is V*, estimated in stage 1).</summary>
    public override int CompletionsPerPrompt { get; init; } = 1;

    /// <summary>
    /// β₂, the KL coefficient of the regularised objective: the loss regresses β₂·ln π/π_ref onto r − V*. The KL lives in the loss,
    /// not in the reward. Default 1e-3 (the authors' beta2, TRL A2POConfig).
    /// </summary>
    public override float KlCoefficient { get; init; } = 1e-3f;

    /// <summary>β₁ of stage 1: V*(x) = β₁·ln mean_i exp(r_i/β₁) over the reference samples. Default 0.5 (the authors' beta1, TRL A2POConfig).</summary>
    [Flag("value-kl-coef")]
    public float ValueKlCoefficient { get; init; } = 0.5f;

    /// <summary>N, samples of π_ref per training prompt in stage 1 (N reward queries each, once before training). Default 8 (authors, TRL num_value_samples).</summary>
    public int ValueSamples { get; init; } = 8;

    /// <summary>Epochs over each batch. Default 1 (authors: one pass over each batch).</summary>
    public override int Epochs { get; init; } = 1;

    /// <summary>Completions per optimizer step. Default 32 (half the default 64 prompts per iteration: the authors' mini-batch 128 of batch 256, two steps per batch).</summary>
    public override int MiniBatchSize { get; init; } = 32;

    /// <summary>Peak learning rate. Default 1e-6 (authors' scripts for Qwen2.5 on MATH and GSM8K).</summary>
    public override float LearningRate { get; init; } = 1e-6f;

    /// <inheritdoc/>
    internal override float RewardKlCoefficient => 0f;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Require(CompletionsPerPrompt == 1, $"A*-PO samples one completion per prompt, got {CompletionsPerPrompt}");
        Require(KlCoefficient > 0 && ValueKlCoefficient > 0, $"β₁ ({ValueKlCoefficient}) and β₂ ({KlCoefficient}) must be positive");
        Require(ValueSamples > 0, $"value samples must be positive, got {ValueSamples}");
    }
}
