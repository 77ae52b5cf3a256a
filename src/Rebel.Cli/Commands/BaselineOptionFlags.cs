// `rebel train --algo ppo|rloo|reinforce|grpo|online-dpo`: the baselines' own flags, and the wiring from flags to each
// trainer's options record. Shared flags (iterations, lr, …) come from RebelOptionFlags; unset flags keep each record's defaults.
using System.CommandLine;
using Rebel.Models;
using Rebel.Models.Tokenization;
using Rebel.Tensors.Optim;
using Rebel.Training;
using Rebel.Training.Data;
using Rebel.Training.Rewards;

namespace Rebel.Cli.Commands;

/// <summary>Algorithm choice and the baseline-specific flags of `rebel train`.</summary>
internal sealed class BaselineOptionFlags
{
    /// <summary>Accepted --algo values.</summary>
    public static readonly string[] Algorithms = ["rebel", "ppo", "rloo", "reinforce", "grpo", "online-dpo"];

    public Option<string> Algo { get; } = new Option<string>("--algo") { Description = "Algorithm: rebel (default), ppo, rloo, reinforce, grpo or online-dpo.", DefaultValueFactory = _ => "rebel" }.AcceptOnlyFromAmong(Algorithms);
    public Option<int?> MiniBatchSize { get; } = new("--minibatch-size") { Description = "Baselines: completions (online DPO: pairs) per optimizer step (default: per algorithm)." };
    public Option<float?> ClipRange { get; } = new("--clip-range") { Description = $"PPO/GRPO: ε of the clipped ratio (default {new PpoOptions().ClipRange})." };
    public Option<float?> ValueClipRange { get; } = new("--value-clip-range") { Description = $"PPO: value clipping range (default {new PpoOptions().ValueClipRange})." };
    public Option<float?> Gamma { get; } = new("--gamma") { Description = $"PPO: GAE γ (default {new PpoOptions().Gamma})." };
    public Option<float?> Lambda { get; } = new("--gae-lambda") { Description = $"PPO: GAE λ (default {new PpoOptions().Lambda})." };
    public Option<bool?> Whiten { get; } = new("--whiten-advantages") { Description = "PPO: whiten advantages over the batch (default true)." };
    public Option<float?> BaselineDecay { get; } = new("--baseline-decay") { Description = $"REINFORCE: α of the running-mean baseline (default {new ReinforceOptions().BaselineDecay})." };
    public Option<float?> Beta { get; } = new("--beta") { Description = $"Online DPO: β of the implicit reward (default {new OnlineDpoOptions().Beta})." };

    /// <summary>Every flag, for adding to a command.</summary>
    public IEnumerable<Option> All => [Algo, MiniBatchSize, ClipRange, ValueClipRange, Gamma, Lambda, Whiten, BaselineDecay, Beta];

    /// <summary>The baseline trainer named by --algo (not "rebel"), its options read from the shared and baseline flags.</summary>
    public LanguagePolicyTrainer Create(string algo, ParseResult p, RebelOptionFlags shared, LanguageModel model, ITokenizer tokenizer,
        IReadOnlyList<PromptRecord> prompts, IReward reward, string outDir) => algo switch
    {
        "ppo" => new PpoTrainer(model, tokenizer, prompts, reward, Ppo(p, shared), outDir),
        "rloo" => new RlooTrainer(model, tokenizer, prompts, reward, Rloo(p, shared), outDir),
        "reinforce" => new ReinforceTrainer(model, tokenizer, prompts, reward, Reinforce(p, shared), outDir),
        "grpo" => new GrpoTrainer(model, tokenizer, prompts, reward, Grpo(p, shared), outDir),
        "online-dpo" => new OnlineDpoTrainer(model, tokenizer, prompts, reward, OnlineDpo(p, shared), outDir),
        _ => throw new ArgumentException($"Unknown --algo '{algo}'; expected one of {string.Join(", ", Algorithms)}."),
    };

    private static LrScheduleKind? ScheduleOf(ParseResult p, RebelOptionFlags s) => p.GetValue(s.Schedule) switch
    {
        null => null, "cosine" => LrScheduleKind.Cosine, "constant" => LrScheduleKind.Constant, _ => LrScheduleKind.Linear,
    };

    private PpoOptions Ppo(ParseResult p, RebelOptionFlags s)
    {
        var d = Shared(new PpoOptions(), p, s);
        return d with
        {
            ClipRange = p.GetValue(ClipRange) ?? d.ClipRange, ValueClipRange = p.GetValue(ValueClipRange) ?? d.ValueClipRange,
            Gamma = p.GetValue(Gamma) ?? d.Gamma, Lambda = p.GetValue(Lambda) ?? d.Lambda, WhitenAdvantages = p.GetValue(Whiten) ?? d.WhitenAdvantages,
        };
    }

    private RlooOptions Rloo(ParseResult p, RebelOptionFlags s) => Shared(new RlooOptions(), p, s);

    private ReinforceOptions Reinforce(ParseResult p, RebelOptionFlags s)
    {
        var d = Shared(new ReinforceOptions(), p, s);
        return d with { BaselineDecay = p.GetValue(BaselineDecay) ?? d.BaselineDecay };
    }

    private GrpoOptions Grpo(ParseResult p, RebelOptionFlags s)
    {
        var d = Shared(new GrpoOptions(), p, s);
        return d with { ClipRange = p.GetValue(ClipRange) ?? d.ClipRange };
    }

    private OnlineDpoOptions OnlineDpo(ParseResult p, RebelOptionFlags s)
    {
        var d = Shared(new OnlineDpoOptions(), p, s);
        return d with { Beta = p.GetValue(Beta) ?? d.Beta };
    }

    /// <summary><paramref name="d"/> (a record of defaults) with every set shared flag applied; unset flags keep its defaults.</summary>
    private T Shared<T>(T d, ParseResult p, RebelOptionFlags s) where T : BaselineOptions
    {
        BaselineOptions o = d;
        return (T)(o with
        {
            Iterations = p.GetValue(s.Iterations) ?? d.Iterations, PromptsPerIteration = p.GetValue(s.PromptsPerIteration) ?? d.PromptsPerIteration,
            CompletionsPerPrompt = p.GetValue(s.CompletionsPerPrompt) ?? d.CompletionsPerPrompt, MaxNewTokens = p.GetValue(s.MaxNewTokens) ?? d.MaxNewTokens,
            Temperature = p.GetValue(s.Temperature) ?? d.Temperature, KlCoefficient = p.GetValue(s.KlCoef) ?? d.KlCoefficient,
            NoEosScore = p.GetValue(s.NoEosScore) ?? d.NoEosScore, Epochs = p.GetValue(s.Epochs) ?? d.Epochs,
            MiniBatchSize = p.GetValue(MiniBatchSize) ?? d.MiniBatchSize, LearningRate = p.GetValue(s.Lr) ?? d.LearningRate,
            Schedule = ScheduleOf(p, s) ?? d.Schedule, AdamEpsilon = p.GetValue(s.AdamEps) ?? d.AdamEpsilon, MaxGradNorm = p.GetValue(s.MaxGradNorm) ?? d.MaxGradNorm,
            Seed = p.GetValue(s.Seed) ?? d.Seed, CheckpointEvery = p.GetValue(s.CheckpointEvery) ?? d.CheckpointEvery,
        });
    }
}
