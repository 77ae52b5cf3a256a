// REBEL (Gao et al., NeurIPS 2024): each iteration samples completions from π_t, scores them, and regresses the
// difference of log-ratios ln π_θ/π_t of paired completions onto the difference of their rewards for a few epochs.
using System.Diagnostics;
using Rebel.Models;
using Rebel.Models.Sampling;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Tensors.Distributed;
using Rebel.Tensors.Optim;
using Rebel.Training.Data;
using Rebel.Training.Losses;
using Rebel.Training.Reporting;
using Rebel.Training.Rewards;
using Rebel.Training.Rollouts;

namespace Rebel.Training;

/// <summary>
/// Completions regressed together: every pair of <see cref="Members"/> has its log-ratio difference regressed onto the difference
/// of their <see cref="Targets"/> (rewards; for a preference pair ±(P(y ≻ y') − ½)/2, whose difference is the pair's target).
/// </summary>
public sealed record RebelGroup(IReadOnlyList<Rollout> Members, float[] Targets);

/// <summary>What one iteration produced (metrics with TRL-style names, and a few samples for reports).</summary>
public sealed record IterationResult(int Iteration, IReadOnlyDictionary<string, double> Metrics, IReadOnlyList<Rollout> Samples);

/// <summary>Trains a policy with REBEL against a reward (or a pairwise preference model).</summary>
public sealed partial class RebelTrainer : IPolicyTrainer
{
    private readonly LanguageModel policy, reference;
    private readonly IReadOnlyList<PromptRecord> prompts;
    private readonly IPreference? preference;
    private readonly RolloutCollector collector;
    private readonly AdamW optimizer;
    private readonly LrSchedule schedule;
    private readonly Rng rng;
    private readonly ITokenizer tokenizer;
    private readonly PromptStream promptStream;

    /// <summary>The options in force.</summary>
    public RebelOptions Options { get; }

    /// <summary>Iterations completed.</summary>
    public int Iteration { get; private set; }

    /// <summary>Metrics of every iteration so far.</summary>
    public MetricsLog Metrics { get; private set; }

    /// <summary>Folder receiving metrics.jsonl and checkpoints, or null for none.</summary>
    public string? OutputDirectory { get; }

    private string? MetricsPath => OutputDirectory is null ? null : Path.Combine(OutputDirectory, "metrics.jsonl");

    /// <summary>The policy being trained.</summary>
    public LanguageModel Policy => policy;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, IReward> EvaluationRewards { get; set; } = new Dictionary<string, IReward>();

    /// <summary>Called after every iteration (progress displays).</summary>
    public Action<IterationResult>? IterationCompleted { get; set; }

    /// <summary>
    /// Sets up REBEL on <paramref name="policy"/> (π_ref is a frozen copy of it as given). Exactly one of <paramref name="reward"/>
    /// and <paramref name="preference"/> must be given; with a preference model the regression target is P(y ≻ y') − ½.
    /// </summary>
    public RebelTrainer(LanguageModel policy, ITokenizer tokenizer, IReadOnlyList<PromptRecord> prompts, IReward? reward, RebelOptions options,
        string? outputDirectory = null, IPreference? preference = null)
    {
        options.Validate();
        if ((reward is null) == (preference is null)) throw new ArgumentException("RebelTrainer: give either a reward or a preference model.");
        if (prompts.Count == 0) throw new ArgumentException("RebelTrainer: no prompts.");
        Options = options;
        this.policy = policy;
        this.tokenizer = tokenizer;
        this.prompts = prompts;
        this.preference = preference;
        reference = policy.ReferenceModel();
        // A copied reference can be held in bf16; with LoRA the reference is the policy's own base (adapters off), no copy.
        if (options.ReferenceInBf16 && policy.Lora is null) reference.FreezeToBf16();
        collector = new RolloutCollector(policy, reference, tokenizer, reward ?? new ConstantReward());
        optimizer = new AdamW(policy.Parameters, options.LearningRate, epsilon: options.AdamEpsilon, weightDecay: options.WeightDecay);
        var (groupsPerPrompt, groupSize) = GroupShape(options, preference is not null);
        int groupsPerStep = GroupsPerStep(options, groupSize);
        int stepsPerEpoch = (options.PromptsPerIteration * groupsPerPrompt + groupsPerStep - 1) / groupsPerStep;
        schedule = new LrSchedule(options.Schedule, options.LearningRate, options.Iterations * options.Epochs * stepsPerEpoch, options.WarmupSteps);
        rng = new Rng(options.Seed);
        promptStream = new PromptStream(prompts, options.Seed);
        OutputDirectory = outputDirectory;
        if (outputDirectory is not null) Directory.CreateDirectory(outputDirectory);
        Metrics = MetricsLog.Create(MetricsPath);
    }

    // Groups per prompt and completions per group: all of a prompt's completions in one group for all-pairs against a reward; one pair
    // (best/worst, the two samples, or sample/dataset) otherwise; every pair its own group for all-pairs against a preference model.
    private static (int GroupsPerPrompt, int GroupSize) GroupShape(RebelOptions o, bool preference)
    {
        int n = o.CompletionsPerPrompt;
        if (o.OfflineResponseField is not null || n == 2 || o.Pairing == PairingMode.BestWorst) return (1, 2);
        return preference ? (n * (n - 1) / 2, 2) : (1, n);
    }

    // A minibatch holds 2 × MiniBatchPairs completions in whole groups.
    private static int GroupsPerStep(RebelOptions o, int groupSize) => Math.Max(1, 2 * o.MiniBatchPairs / groupSize);

    /// <summary>Runs the remaining iterations, checkpointing every <see cref="RebelOptions.CheckpointEvery"/> and at the end.</summary>
    public void Train(CancellationToken cancel = default) =>
        PolicyUpdate.RunIterations(Options.Iterations, Options.CheckpointEvery, OutputDirectory, () => Iteration, () => RunIteration(), SaveCheckpoint, cancel);

    /// <summary>One REBEL iteration: rollouts, pairs, E epochs of regression.</summary>
    public IterationResult RunIteration()
    {
        var clock = Stopwatch.StartNew();
        var (batch, first) = Collectives.World.Share(promptStream.Next(Options.PromptsPerIteration), "RebelTrainer: prompts per iteration");
        var settings = new RolloutSettings(Options.OfflineResponseField is null ? Options.CompletionsPerPrompt : 1,
            new SamplingOptions { MaxNewTokens = Options.MaxNewTokens, Temperature = Options.Temperature, EosTokenIds = EosIds() },
            Options.KlCoefficient, Options.NoEosScore);
        long tokensBefore = collector.SampledTokens;
        double allReduceBefore = optimizer.AllReduceSeconds;
        var rollouts = collector.Collect(batch, settings, rng, first);
        if (Options.OfflineResponseField is not null) rollouts.AddRange(DatasetResponses(batch, settings));
        var (loss, residual, entropy, gradNorm) = Regress(MakeGroups(rollouts));
        Iteration++;
        double seconds = clock.Elapsed.TotalSeconds;
        var metrics = RolloutMetrics.Common(Iteration, rollouts);
        metrics["objective/entropy"] = entropy;
        metrics["loss/policy_avg"] = loss;
        metrics["rebel/residual_abs"] = residual;
        RolloutMetrics.AddLengths(metrics, rollouts);
        metrics["grad_norm"] = gradNorm;
        metrics["lr"] = optimizer.LearningRate;
        metrics["reward_queries"] = collector.RewardQueries;
        metrics["time/tokens_per_s"] = (collector.SampledTokens - tokensBefore) / Math.Max(seconds, 1e-9);
        metrics["time/seconds_per_iteration"] = seconds;
        metrics["time/allreduce_s"] = optimizer.AllReduceSeconds - allReduceBefore;
        RolloutMetrics.AddEvaluations(metrics, rollouts, EvaluationRewards);
        Metrics.Append(metrics);
        var result = new IterationResult(Iteration, metrics, rollouts.Take(8).ToList());
        IterationCompleted?.Invoke(result);
        return result;
    }

    private int[] EosIds() => policy.Config.EosTokenIds.Length > 0 ? policy.Config.EosTokenIds
        : tokenizer.EosTokenId is { } e ? [e] : throw new InvalidOperationException("RebelTrainer: neither the model nor the tokenizer names an EOS token.");

    private List<Rollout> DatasetResponses(List<PromptRecord> batch, RolloutSettings settings)
    {
        var eos = EosIds()[0];
        var promptIds = batch.Select(p => p.Encode(tokenizer)).ToArray();
        var responses = batch.Select(p =>
        {
            var text = p.Field(Options.OfflineResponseField!) ?? throw new InvalidDataException($"{p.Source}: missing the offline response field \"{Options.OfflineResponseField}\".");
            return (int[])[.. tokenizer.Encode(text, addSpecialTokens: false), eos];
        }).ToArray();
        float t = Options.Temperature;
        var old = RolloutCollector.LogProbs(policy, promptIds, responses, t);
        var groups = Enumerable.Range(0, batch.Count).ToArray();
        return collector.Score(batch, promptIds, groups, responses, [.. responses.Select(_ => true)], old, settings);
    }

    /// <summary>Groups completions of the same prompt (see <see cref="GroupShape"/>) and sets their regression targets.</summary>
    private List<RebelGroup> MakeGroups(List<Rollout> rollouts)
    {
        var groups = new List<RebelGroup>();
        foreach (var prompt in rollouts.GroupBy(r => r.Group))
        {
            var g = prompt.ToList();
            if (g.Count > 2 && Options.Pairing == PairingMode.BestWorst) g = [g.MaxBy(r => r.Reward)!, g.MinBy(r => r.Reward)!];
            if (preference is null) groups.Add(new RebelGroup(g, [.. g.Select(r => r.Reward)]));
            else
            {
                for (int i = 0; i < g.Count; i++)
                    for (int j = i + 1; j < g.Count; j++) groups.Add(PreferencePair(g[i], g[j]));
            }
        }
        return groups;
    }

    private RebelGroup PreferencePair(Rollout y, Rollout other)
    {
        var p = preference!.Prefer([(new RewardQuery(y.Prompt, y.Text, y.EndedWithEos), new RewardQuery(other.Prompt, other.Text, other.EndedWithEos))])[0];
        // General preferences: regress onto P(y ≻ y') − ½, keeping the KL shaping of the two responses.
        float target = p - 0.5f - Options.KlCoefficient * (y.Kl - other.Kl);
        return new RebelGroup([y, other], [target / 2, -target / 2]);
    }

    /// <summary>E epochs over the groups in minibatches; returns mean loss per pair, mean |pair residual|, entropy and the last gradient norm.</summary>
    private (double Loss, double Residual, double Entropy, double GradNorm) Regress(List<RebelGroup> groups)
    {
        double lossSum = 0, residualSum = 0, entropySum = 0, gradNorm = 0;
        long pairCount = 0, entropyCount = 0;
        int size = groups[0].Members.Count;
        if (groups.Any(g => g.Members.Count != size)) throw new InvalidOperationException("RebelTrainer: prompts gave different numbers of completions.");
        int pairsPerGroup = size * (size - 1) / 2;
        for (int epoch = 0; epoch < Options.Epochs; epoch++)
        {
            foreach (var batch in PolicyUpdate.ShuffledMiniBatches(groups.Count, GroupsPerStep(Options, size), rng))
            {
                int micro = (batch.Length + Options.GradientAccumulation - 1) / Options.GradientAccumulation;
                foreach (var part in batch.Chunk(micro))
                {
                    var chunk = part.Select(k => groups[k]).ToList();
                    using var scope = new TensorScope();
                    var entropy = epoch == 0 ? new float[size * chunk.Count] : null;
                    var (loss, residual) = GroupLoss(chunk, size, entropy);
                    Ops.Mul(loss, (float)chunk.Count / batch.Length).Backward();
                    lossSum += loss.Item() * chunk.Count * pairsPerGroup;
                    residualSum += residual;
                    pairCount += chunk.Count * pairsPerGroup;
                    if (entropy is not null) { entropySum += entropy.Sum(); entropyCount += entropy.Length; }
                }
                gradNorm = PolicyUpdate.ClipAndStep(optimizer, schedule, Options.MaxGradNorm);
            }
        }
        return (lossSum / Math.Max(pairCount, 1), residualSum / Math.Max(pairCount, 1), entropySum / Math.Max(entropyCount, 1), gradNorm);
    }

    /// <summary>The REBEL loss over a chunk of groups of <paramref name="size"/> (mean over their pairs) and Σ over pairs of |residual|.</summary>
    private (Tensor Loss, double ResidualAbsSum) GroupLoss(List<RebelGroup> chunk, int size, float[]? entropy)
    {
        var members = chunk.SelectMany(g => g.Members).ToList();
        var logp = SequenceLogProbs.Compute(policy, [.. members.Select(r => r.PromptIds)], [.. members.Select(r => r.Completion)], Options.Temperature, entropy); // (G·n)
        var (loss, centred) = RebelLoss.Grouped(logp, [.. members.Select(r => r.OldLogProb)], [.. chunk.SelectMany(g => g.Targets)], size, Options.Eta);
        // A pair's residual e_i − e_j is the difference of the two centred residuals.
        var c = centred.Span;
        double abs = 0;
        for (int g = 0; g < chunk.Count; g++)
            for (int i = 0; i < size; i++)
                for (int j = i + 1; j < size; j++) abs += Math.Abs(c[g * size + i] - c[g * size + j]);
        return (loss, abs);
    }

    private sealed class ConstantReward : IReward
    {
        public string Name => "none";

        public float[] Score(IReadOnlyList<RewardQuery> queries) => new float[queries.Count];
    }
}
