// Options of the REBEL trainer, each with its default and where that default comes from.
using Rebel.Tensors.Optim;

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

/// <summary>Options of <see cref="RebelTrainer"/>.</summary>
public sealed record RebelOptions
{
    /// <summary>Policy iterations t = 0 … T−1. Default 100.</summary>
    public int Iterations { get; init; } = 100;

    /// <summary>Prompts per iteration. Default 64 (the paper's summarisation runs use 512).</summary>
    public int PromptsPerIteration { get; init; } = 64;

    /// <summary>Completions per prompt from π_t. Default 2 (the paper's online setting).</summary>
    public int CompletionsPerPrompt { get; init; } = 2;

    /// <summary>Pairing when <see cref="CompletionsPerPrompt"/> &gt; 2. Default best-vs-worst (authors' code).</summary>
    public PairingMode Pairing { get; init; } = PairingMode.BestWorst;

    /// <summary>Most new tokens per completion. Default 53 (the paper's summarisation response length).</summary>
    public int MaxNewTokens { get; init; } = 53;

    /// <summary>Sampling temperature; logits are divided by it for sampling and training alike. Default 0.7 (paper).</summary>
    public float Temperature { get; init; } = 0.7f;

    /// <summary>β of the KL-shaped reward r = score − β·Σ(ln π_t − ln π_ref). Default 0.05 (paper).</summary>
    public float KlCoefficient { get; init; } = 0.05f;

    /// <summary>Score for completions that end without EOS, or null to keep the reward's score. Default off (the paper uses −1).</summary>
    public float? NoEosScore { get; init; }

    /// <summary>
    /// η, the paper's mirror-descent step size: the loss is ((1/η)·Δlogratio − Δr)². Default 1. The authors' code calls 1/η "eta"
    /// (η_code = 1 for summarisation and chat, 1e6 for large offline batches).
    /// </summary>
    public float Eta { get; init; } = 1f;

    /// <summary>Inner epochs over each batch. Default 4 (paper).</summary>
    public int Epochs { get; init; } = 4;

    /// <summary>
    /// Pairs per optimizer step: a minibatch holds 2 × this many completions, in whole groups (a pair, or in all-pairs mode against a
    /// reward all completions of a prompt). Default 16.
    /// </summary>
    public int MiniBatchPairs { get; init; } = 16;

    /// <summary>Micro-batches per minibatch (gradient accumulation). Default 1.</summary>
    public int GradientAccumulation { get; init; } = 1;

    /// <summary>Peak learning rate. Default 3e-6 (paper, summarisation).</summary>
    public float LearningRate { get; init; } = 3e-6f;

    /// <summary>Learning-rate schedule over all optimizer steps. Default linear decay (paper).</summary>
    public LrScheduleKind Schedule { get; init; } = LrScheduleKind.Linear;

    /// <summary>Warmup optimizer steps. Default 0.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>AdamW ε. Default 1e-5 (authors' code).</summary>
    public float AdamEpsilon { get; init; } = 1e-5f;

    /// <summary>AdamW decoupled weight decay. Default 0.</summary>
    public float WeightDecay { get; init; }

    /// <summary>Global gradient-norm clip. Default 1.0.</summary>
    public float MaxGradNorm { get; init; } = 1f;

    /// <summary>Seed of every random choice (data order, sampling). Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Write a checkpoint every N iterations (0 = only at the end). Default 0.</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>
    /// Offline/hybrid REBEL: the prompt-record field holding a dataset response used as y' (μ ≠ π_t). Then one completion per prompt
    /// is sampled and paired with it. Default null (fully online).
    /// </summary>
    public string? OfflineResponseField { get; init; }

    /// <summary>
    /// Hold π_ref's weight matrices in bfloat16 (half the bytes; widened to float32 for each product): its log-probs then
    /// differ from a float32 copy's by the rounding of the weights. Ignored with LoRA (the reference is then the policy's own base
    /// with adapters off, no copy). Default false (float32, as the paper's code keeps it).
    /// </summary>
    public bool ReferenceInBf16 { get; init; }

    /// <summary>Throws ArgumentException naming the first invalid option.</summary>
    public void Validate()
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new ArgumentException($"RebelOptions: {what}.");
        }
        Require(Iterations > 0, $"iterations must be positive, got {Iterations}");
        Require(PromptsPerIteration > 0, $"prompts per iteration must be positive, got {PromptsPerIteration}");
        Require(OfflineResponseField is not null || CompletionsPerPrompt >= 2, $"completions per prompt must be at least 2, got {CompletionsPerPrompt}");
        Require(MaxNewTokens > 0, $"max new tokens must be positive, got {MaxNewTokens}");
        Require(Temperature > 0, $"temperature must be positive for training, got {Temperature}");
        Require(Eta > 0, $"eta must be positive, got {Eta}");
        Require(Epochs > 0, $"epochs must be positive, got {Epochs}");
        Require(MiniBatchPairs > 0 && GradientAccumulation > 0, "minibatch size and gradient accumulation must be positive");
        Require(LearningRate >= 0, $"learning rate must be non-negative, got {LearningRate}");
    }
}
