// One kebab-case flag per RebelOptions field; unset flags keep the record's documented defaults.
using System.CommandLine;
using Rebel.Tensors.Optim;
using Rebel.Training;

namespace Rebel.Cli.Commands;

/// <summary>The REBEL hyper-parameter flags of `rebel train`.</summary>
internal sealed class RebelOptionFlags
{
    private static readonly RebelOptions D = new();

    public Option<int?> Iterations { get; } = new("--iterations") { Description = $"Policy iterations (default {D.Iterations})." };
    public Option<int?> PromptsPerIteration { get; } = new("--prompts-per-iteration") { Description = $"Prompts per iteration (default {D.PromptsPerIteration})." };
    public Option<int?> CompletionsPerPrompt { get; } = new("--completions-per-prompt") { Description = $"Completions per prompt from the current policy (default {D.CompletionsPerPrompt})." };
    public Option<string?> Pairing { get; } = new Option<string?>("--pairing") { Description = "Pairing with more than 2 completions: best-worst (default) or all-pairs." }.AcceptOnlyFromAmong("best-worst", "all-pairs");
    public Option<int?> MaxNewTokens { get; } = new("--max-new-tokens") { Description = $"Most new tokens per completion (default {D.MaxNewTokens})." };
    public Option<float?> Temperature { get; } = new("--temperature") { Description = $"Sampling temperature, also applied to training log-probs (default {D.Temperature})." };
    public Option<float?> KlCoef { get; } = new("--kl-coef") { Description = $"β of the shaped reward score − β·KL(π_t‖π_ref) (default {D.KlCoefficient})." };
    public Option<float?> NoEosScore { get; } = new("--no-eos-score") { Description = "Score given to completions without EOS, e.g. -1 (default: keep the reward's score)." };
    public Option<float?> Eta { get; } = new("--eta") { Description = $"η, the paper's step size: loss ((1/η)·Δlogratio − Δr)² (default {D.Eta}; the authors' code calls 1/η eta)." };
    public Option<int?> Epochs { get; } = new("--epochs") { Description = $"Inner epochs over each batch (default {D.Epochs})." };
    public Option<int?> MiniBatchPairs { get; } = new("--minibatch-pairs") { Description = $"Pairs per optimizer step: 2 × this many completions per step, whole prompts in all-pairs mode (default {D.MiniBatchPairs})." };
    public Option<int?> GradAccum { get; } = new("--grad-accum") { Description = $"Micro-batches per minibatch (default {D.GradientAccumulation})." };
    public Option<float?> Lr { get; } = new("--lr") { Description = $"Peak learning rate (default {D.LearningRate})." };
    public Option<string?> Schedule { get; } = new Option<string?>("--schedule") { Description = "Learning-rate schedule: linear (default), cosine or constant." }.AcceptOnlyFromAmong("linear", "cosine", "constant");
    public Option<int?> WarmupSteps { get; } = new("--warmup-steps") { Description = $"Linear warmup optimizer steps (default {D.WarmupSteps})." };
    public Option<float?> AdamEps { get; } = new("--adam-eps") { Description = $"AdamW ε (default {D.AdamEpsilon})." };
    public Option<float?> WeightDecay { get; } = new("--weight-decay") { Description = $"AdamW decoupled weight decay (default {D.WeightDecay})." };
    public Option<float?> MaxGradNorm { get; } = new("--max-grad-norm") { Description = $"Global gradient-norm clip (default {D.MaxGradNorm})." };
    public Option<ulong?> Seed { get; } = new("--seed") { Description = $"Seed of data order and sampling (default {D.Seed})." };
    public Option<int?> CheckpointEvery { get; } = new("--checkpoint-every") { Description = "Checkpoint every N iterations (default 0: only at the end)." };
    public Option<string?> OfflineField { get; } = new("--offline-field") { Description = "Offline/hybrid REBEL: prompt-record field with a dataset response used as y' (default: fully online)." };

    public Option<string?> RefDtype { get; } = new Option<string?>("--ref-dtype") { Description = "Storage of the reference policy's weight matrices: f32 (default) or bf16 (half the memory, widened per product)." }.AcceptOnlyFromAmong("f32", "bf16");

    /// <summary>Every flag, for adding to a command.</summary>
    public IEnumerable<Option> All =>
    [
        Iterations, PromptsPerIteration, CompletionsPerPrompt, Pairing, MaxNewTokens, Temperature, KlCoef, NoEosScore, Eta, Epochs,
        MiniBatchPairs, GradAccum, Lr, Schedule, WarmupSteps, AdamEps, WeightDecay, MaxGradNorm, Seed, CheckpointEvery, OfflineField, RefDtype,
    ];

    /// <summary>Flags that only REBEL reads (the baselines reject them).</summary>
    public IEnumerable<Option> RebelOnly => [Pairing, Eta, MiniBatchPairs, GradAccum, WarmupSteps, WeightDecay, OfflineField, RefDtype];

    /// <summary>The options given on the command line (or config file), defaults elsewhere.</summary>
    public RebelOptions Read(ParseResult p) => D with
    {
        Iterations = p.GetValue(Iterations) ?? D.Iterations,
        PromptsPerIteration = p.GetValue(PromptsPerIteration) ?? D.PromptsPerIteration,
        CompletionsPerPrompt = p.GetValue(CompletionsPerPrompt) ?? D.CompletionsPerPrompt,
        Pairing = p.GetValue(Pairing) switch { null => D.Pairing, "all-pairs" => PairingMode.AllPairs, _ => PairingMode.BestWorst },
        MaxNewTokens = p.GetValue(MaxNewTokens) ?? D.MaxNewTokens,
        Temperature = p.GetValue(Temperature) ?? D.Temperature,
        KlCoefficient = p.GetValue(KlCoef) ?? D.KlCoefficient,
        NoEosScore = p.GetValue(NoEosScore) ?? D.NoEosScore,
        Eta = p.GetValue(Eta) ?? D.Eta,
        Epochs = p.GetValue(Epochs) ?? D.Epochs,
        MiniBatchPairs = p.GetValue(MiniBatchPairs) ?? D.MiniBatchPairs,
        GradientAccumulation = p.GetValue(GradAccum) ?? D.GradientAccumulation,
        LearningRate = p.GetValue(Lr) ?? D.LearningRate,
        Schedule = p.GetValue(Schedule) switch { null => D.Schedule, "cosine" => LrScheduleKind.Cosine, "constant" => LrScheduleKind.Constant, _ => LrScheduleKind.Linear },
        WarmupSteps = p.GetValue(WarmupSteps) ?? D.WarmupSteps,
        AdamEpsilon = p.GetValue(AdamEps) ?? D.AdamEpsilon,
        WeightDecay = p.GetValue(WeightDecay) ?? D.WeightDecay,
        MaxGradNorm = p.GetValue(MaxGradNorm) ?? D.MaxGradNorm,
        Seed = p.GetValue(Seed) ?? D.Seed,
        CheckpointEvery = p.GetValue(CheckpointEvery) ?? D.CheckpointEvery,
        OfflineResponseField = p.GetValue(OfflineField) ?? D.OfflineResponseField,
        ReferenceInBf16 = p.GetValue(RefDtype) is { } dtype ? dtype == "bf16" : D.ReferenceInBf16,
    };
}
