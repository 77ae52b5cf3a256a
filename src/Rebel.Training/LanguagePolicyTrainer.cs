// The language-model side of the policy loop, shared by REBEL and the baselines (PPO, RLOO, REINFORCE, GRPO, online DPO):
// π_ref, sampling and scoring completions of this process's share of the prompts, the rollout metrics and the weights in
// checkpoints. The methods differ only in their Update step (one file each).
using System.Text.Json.Nodes;
using Rebel.Models;
using Rebel.Models.Sampling;
using Rebel.Models.Tokenization;
using Rebel.Tensors.Distributed;
using Rebel.Training.Checkpointing;
using Rebel.Training.Data;
using Rebel.Training.Rewards;
using Rebel.Training.Rollouts;
using Rebel.Training.Reporting;

namespace Rebel.Training;

/// <summary>Base of the language-model policy trainers: π_ref, rollouts, their metrics and checkpointed weights; subclasses supply the update.</summary>
public abstract class LanguagePolicyTrainer : PolicyTrainer<Rollout>
{
    private readonly RolloutSettings rolloutSettings;
    private readonly IReadOnlyList<string> rewardNames;
    private long tokensBefore;

    /// <summary>The policy being trained.</summary>
    public LanguageModel Policy { get; }

    /// <summary>π_ref: a frozen copy of the policy as given (with LoRA, the policy with adapters off).</summary>
    protected LanguageModel Reference { get; }

    /// <summary>The policy's tokenizer.</summary>
    protected ITokenizer Tokenizer { get; }

    /// <summary>Samples and scores completions.</summary>
    protected RolloutCollector Collector { get; }

    /// <summary>The settings in force (the method's options record).</summary>
    public LanguagePolicyOptions Settings { get; }

    /// <summary>
    /// Rewards scored on every iteration's rollouts for monitoring only, logged as objective/{name}_scores: they are not reward
    /// queries and do not affect training (e.g. the hidden gold scorer when training against a learned reward model). Default none.
    /// </summary>
    public IReadOnlyDictionary<string, IReward> EvaluationRewards { get; set; } = new Dictionary<string, IReward>();

    /// <summary>Writes the policy as a Hugging Face folder at the given path inside each checkpoint.</summary>
    public Action<string>? ExportPolicy { get; set; }

    /// <inheritdoc/>
    protected override long RewardQueries => Collector.RewardQueries;

    /// <summary>Sets up the loop; <paramref name="stepsPerEpoch"/> is the optimizer steps of one epoch over an iteration's batch.</summary>
    protected LanguagePolicyTrainer(string algorithm, LanguageModel policy, ITokenizer tokenizer, IReadOnlyList<PromptRecord> prompts, IReward reward,
        LanguagePolicyOptions options, int stepsPerEpoch, string? outputDirectory)
        : base(algorithm, options, policy.Parameters, prompts, stepsPerEpoch, outputDirectory)
    {
        Settings = options;
        Policy = policy;
        Tokenizer = tokenizer;
        Reference = policy.ReferenceModel();
        // A copied reference can be held in bf16; with LoRA the reference is the policy's own base (adapters off), no copy.
        if (options.ReferenceInBf16 && policy.Lora is null) Reference.FreezeToBf16();
        Collector = new RolloutCollector(policy, Reference, tokenizer, reward);
        rewardNames = reward is WeightedReward weighted ? [.. weighted.Rewards.Select(r => r.Name)] : [];
        var eos = EosTokens.Of(policy.Config, tokenizer) is { Length: > 0 } ids ? ids
            : throw new InvalidOperationException($"{algorithm}: neither the model nor the tokenizer names an EOS token.");
        rolloutSettings = new RolloutSettings(options.SampledPerPrompt,
            new SamplingOptions { MaxNewTokens = options.MaxNewTokens, Temperature = options.Temperature, EosTokenIds = eos },
            options.RewardKlCoefficient, options.NoEosScore, options.MissingEosPenalty);
    }

    /// <inheritdoc/>
    protected sealed override List<Rollout> Collect(List<PromptRecord> prompts)
    {
        var (share, first) = Collectives.World.Share(prompts, $"{Algorithm}: prompts per iteration");
        tokensBefore = Collector.SampledTokens;
        return Collect(share, first, rolloutSettings);
    }

    /// <inheritdoc/>
    protected override Action CollectionUndo()
    {
        long queries = Collector.RewardQueries, tokens = Collector.SampledTokens;
        return () => Collector.Restore(queries, tokens);
    }

    /// <summary>Completions of this process's <paramref name="share"/> of the prompts (starting at global prompt <paramref name="first"/>), scored.</summary>
    protected virtual List<Rollout> Collect(List<PromptRecord> share, int first, RolloutSettings settings) => Collector.Collect(share, settings, Random, first);

    /// <inheritdoc/>
    protected override Dictionary<string, double> RolloutMetrics(List<Rollout> rollouts)
    {
        var metrics = Reporting.RolloutMetrics.Common(Iteration, rollouts);
        Reporting.RolloutMetrics.AddRewardParts(metrics, rollouts, rewardNames);
        return metrics;
    }

    /// <inheritdoc/>
    protected override void AddThroughput(Dictionary<string, double> metrics, List<Rollout> rollouts, double seconds)
    {
        Reporting.RolloutMetrics.AddLengths(metrics, rollouts);
        metrics["time/tokens_per_s"] = (Collector.SampledTokens - tokensBefore) / Math.Max(seconds, 1e-9);
        Reporting.RolloutMetrics.AddEvaluations(metrics, rollouts, EvaluationRewards);
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<Rollout> Samples(List<Rollout> rollouts) => rollouts.Take(8).ToList();

    /// <inheritdoc/>
    protected override void SaveState(string directory, JsonObject state)
    {
        WeightFile.SaveModel(Policy, Path.Combine(directory, "policy.safetensors"));
        ExportPolicy?.Invoke(Path.Combine(directory, "policy"));
        WeightFile.SaveModel(Reference, Path.Combine(directory, "reference.safetensors"));
        state["reward_queries"] = Collector.RewardQueries;
        state["sampled_tokens"] = Collector.SampledTokens;
    }

    /// <inheritdoc/>
    protected override void LoadState(string directory, JsonObject state)
    {
        WeightFile.LoadModel(Policy, Path.Combine(directory, "policy.safetensors"));
        WeightFile.LoadModel(Reference, Path.Combine(directory, "reference.safetensors"));
        Collector.Restore(state["reward_queries"]!.GetValue<long>(), state["sampled_tokens"]!.GetValue<long>());
    }
}
