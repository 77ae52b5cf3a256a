// Options of the REBEL trainer, each with its default and where that default comes from.
namespace Rebel.Training;

/// <summary>How completions of one prompt are paired when more than two are sampled.</summary>
public enum PairingMode
{
    /// <summary>The highest-reward completion against the lowest (the authors' variant for n &gt; 2).</summary>
    BestWorst,
    /// <summary>
    /// Every unordered pair of a prompt's completions; against a reward all n are regressed as one group (each completion's log-prob
    /// computed once, <see cref="Losses.RebelLoss.Grouped"/>), against a preference model pair by pair.
    /// </summary>
    AllPairs,
}

/// <summary>
/// Options of <see cref="RebelTrainer"/>; the loop's and the sampling settings (iterations, temperature, …) come from the base records.
/// The defaults take 64 prompts × 2 completions = 64 pairs in minibatches of 16 pairs, 4 epochs: 16 optimizer steps per iteration.
/// </summary>
public sealed record RebelOptions : LanguagePolicyOptions
{
    /// <summary>Completions per prompt from π_t. Default 2 (the paper's online setting).</summary>
    public override int CompletionsPerPrompt { get; init; } = 2;

    /// <summary>Pairing when <see cref="CompletionsPerPrompt"/> &gt; 2. Default best-vs-worst (authors' code).</summary>
    public PairingMode Pairing { get; init; } = PairingMode.BestWorst;

    /// <summary>β of the KL-shaped reward r = score − β·Σ(ln π_t − ln π_ref). Default 0.05 (paper).</summary>
    public override float KlCoefficient { get; init; } = 0.05f;

    /// <summary>
    /// η, the paper's mirror-descent step size: the loss is (Δlogratio − η·Δr)², at the scale of the authors' code, whose "eta" is this η
    /// (1 for summarisation and chat, 1e6 for large offline batches); the regression's minimiser is Δlogratio = η·Δr. Default 1 (paper).
    /// </summary>
    public float Eta { get; init; } = 1f;

    /// <summary>Inner epochs over each batch. Default 4 (paper).</summary>
    public override int Epochs { get; init; } = 4;

    /// <summary>
    /// Pairs per optimizer step: a minibatch holds 2 × this many completions, in whole groups (a pair, or in all-pairs mode against a
    /// reward all completions of a prompt). Default 16.
    /// </summary>
    [Flag("batch-size", "minibatch-pairs")]
    public int MiniBatchPairs { get; init; } = 16;

    /// <summary>Micro-batches per minibatch (gradient accumulation). Default 1.</summary>
    [Flag("grad-accum", "gradient-accumulation-steps")]
    public int GradientAccumulation { get; init; } = 1;

    /// <summary>Peak learning rate. Default 3e-6 (paper, summarisation).</summary>
    public override float LearningRate { get; init; } = 3e-6f;

    /// <summary>
    /// Offline/hybrid REBEL: the prompt-record field holding a dataset response used as y' (μ ≠ π_t). Then one completion per prompt
    /// is sampled and paired with it. Default null (fully online).
    /// </summary>
    [Flag("offline-field")]
    public string? OfflineResponseField { get; init; }

    /// <inheritdoc/>
    internal override int SampledPerPrompt => OfflineResponseField is null ? CompletionsPerPrompt : 1;

    /// <inheritdoc/>
    protected override int MinCompletionsPerPrompt => OfflineResponseField is null ? 2 : 1;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Require(Eta > 0, $"eta must be positive, got {Eta}");
        Require(MiniBatchPairs > 0 && GradientAccumulation > 0, "minibatch size and gradient accumulation must be positive");
    }
}
