// REBEL (Gao et al., NeurIPS 2024): each iteration samples completions from π_t, scores them, and regresses the
// difference of log-ratios ln π_θ/π_t of paired completions onto the difference of their rewards for a few epochs.
using System.Diagnostics;
using Rebel.Models;
using Rebel.Models.Sampling;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Tensors.Optim;
using Rebel.Training.Data;
using Rebel.Training.Losses;
using Rebel.Training.Reporting;
using Rebel.Training.Rewards;
using Rebel.Training.Rollouts;

namespace Rebel.Training;

/// <summary>One regression pair: completion <see cref="Y"/>, completion <see cref="Other"/>, and the target the log-ratio difference is regressed on.</summary>
public sealed record RebelPair(Rollout Y, Rollout Other, float Target);

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
        reference = policy.CloneModel();
        collector = new RolloutCollector(policy, reference, tokenizer, reward ?? new ConstantReward());
        optimizer = new AdamW(policy.Parameters, options.LearningRate, epsilon: options.AdamEpsilon, weightDecay: options.WeightDecay);
        int pairsPerIteration = options.PromptsPerIteration * PairsPerPrompt(options);
        int stepsPerEpoch = (pairsPerIteration + options.MiniBatchPairs - 1) / options.MiniBatchPairs;
        schedule = new LrSchedule(options.Schedule, options.LearningRate, options.Iterations * options.Epochs * stepsPerEpoch, options.WarmupSteps);
        rng = new Rng(options.Seed);
        promptStream = new PromptStream(prompts, options.Seed);
        OutputDirectory = outputDirectory;
        if (outputDirectory is not null) Directory.CreateDirectory(outputDirectory);
        Metrics = MetricsLog.Create(MetricsPath);
    }

    private static int PairsPerPrompt(RebelOptions o) =>
        o.OfflineResponseField is not null || o.CompletionsPerPrompt == 2 || o.Pairing == PairingMode.BestWorst ? 1 : o.CompletionsPerPrompt * (o.CompletionsPerPrompt - 1) / 2;

    /// <summary>Runs the remaining iterations, checkpointing every <see cref="RebelOptions.CheckpointEvery"/> and at the end.</summary>
    public void Train(CancellationToken cancel = default) =>
        PolicyUpdate.RunIterations(Options.Iterations, Options.CheckpointEvery, OutputDirectory, () => Iteration, () => RunIteration(), SaveCheckpoint, cancel);

    /// <summary>One REBEL iteration: rollouts, pairs, E epochs of regression.</summary>
    public IterationResult RunIteration()
    {
        var clock = Stopwatch.StartNew();
        var batch = promptStream.Next(Options.PromptsPerIteration);
        var settings = new RolloutSettings(Options.OfflineResponseField is null ? Options.CompletionsPerPrompt : 1,
            new SamplingOptions { MaxNewTokens = Options.MaxNewTokens, Temperature = Options.Temperature, EosTokenIds = EosIds() },
            Options.KlCoefficient, Options.NoEosScore);
        long tokensBefore = collector.SampledTokens;
        var rollouts = collector.Collect(batch, settings, rng);
        if (Options.OfflineResponseField is not null) rollouts.AddRange(DatasetResponses(batch, settings));
        var pairs = MakePairs(rollouts);
        var (loss, residual, entropy, gradNorm) = Regress(pairs);
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

    /// <summary>Pairs completions of the same prompt and sets each pair's regression target.</summary>
    private List<RebelPair> MakePairs(List<Rollout> rollouts)
    {
        var pairs = new List<RebelPair>();
        foreach (var group in rollouts.GroupBy(r => r.Group))
        {
            var g = group.ToList();
            if (g.Count == 2) pairs.Add(Target(g[0], g[1]));
            else if (Options.Pairing == PairingMode.BestWorst) pairs.Add(Target(g.MaxBy(r => r.Reward)!, g.MinBy(r => r.Reward)!));
            else
            {
                for (int i = 0; i < g.Count; i++)
                    for (int j = i + 1; j < g.Count; j++) pairs.Add(Target(g[i], g[j]));
            }
        }
        return pairs;
    }

    private RebelPair Target(Rollout y, Rollout other)
    {
        if (preference is null) return new RebelPair(y, other, y.Reward - other.Reward);
        var p = preference.Prefer([(new RewardQuery(y.Prompt, y.Text, y.EndedWithEos), new RewardQuery(other.Prompt, other.Text, other.EndedWithEos))])[0];
        // General preferences: regress onto P(y ≻ y') − ½, keeping the KL shaping of the two responses.
        return new RebelPair(y, other, p - 0.5f - Options.KlCoefficient * (y.Kl - other.Kl));
    }

    /// <summary>E epochs over the pairs in minibatches; returns mean loss, mean |residual|, entropy and the last gradient norm.</summary>
    private (double Loss, double Residual, double Entropy, double GradNorm) Regress(List<RebelPair> pairs)
    {
        double lossSum = 0, residualSum = 0, entropySum = 0, gradNorm = 0;
        int lossCount = 0, entropyCount = 0;
        var index = Enumerable.Range(0, pairs.Count).ToArray();
        for (int epoch = 0; epoch < Options.Epochs; epoch++)
        {
            for (int i = index.Length - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (index[i], index[j]) = (index[j], index[i]);
            }
            for (int start = 0; start < index.Length; start += Options.MiniBatchPairs)
            {
                int mb = Math.Min(Options.MiniBatchPairs, index.Length - start);
                int micro = (mb + Options.GradientAccumulation - 1) / Options.GradientAccumulation;
                for (int m0 = 0; m0 < mb; m0 += micro)
                {
                    var chunk = index.AsSpan(start + m0, Math.Min(micro, mb - m0)).ToArray().Select(k => pairs[k]).ToList();
                    using var scope = new TensorScope();
                    var entropy = epoch == 0 ? new float[2 * chunk.Count] : null;
                    var (loss, residual) = PairLoss(chunk, entropy);
                    Ops.Mul(loss, (float)chunk.Count / mb).Backward();
                    lossSum += loss.Item() * chunk.Count;
                    residualSum += residual;
                    lossCount += chunk.Count;
                    if (entropy is not null) { entropySum += entropy.Sum(); entropyCount += entropy.Length; }
                }
                gradNorm = Optimizer.ClipGradNorm(policy.Parameters, Options.MaxGradNorm);
                optimizer.LearningRate = schedule.At(optimizer.StepCount);
                optimizer.Step();
                optimizer.ZeroGrad();
            }
        }
        return (lossSum / Math.Max(lossCount, 1), residualSum / Math.Max(lossCount, 1), entropySum / Math.Max(entropyCount, 1), gradNorm);
    }

    /// <summary>The REBEL loss on a chunk of pairs (responses interleaved y₀, y'₀, y₁, y'₁, …) and Σ|residual|.</summary>
    private (Tensor Loss, double ResidualAbsSum) PairLoss(List<RebelPair> chunk, float[]? entropy)
    {
        var promptIds = new List<int[]>(2 * chunk.Count);
        var responses = new List<int[]>(2 * chunk.Count);
        foreach (var p in chunk)
        {
            promptIds.Add(p.Y.PromptIds); responses.Add(p.Y.Completion);
            promptIds.Add(p.Other.PromptIds); responses.Add(p.Other.Completion);
        }
        var logp = SequenceLogProbs.Compute(policy, promptIds, responses, Options.Temperature, entropy); // (2P)
        var pairsView = Ops.Reshape(logp, chunk.Count, 2);
        var y = Ops.Reshape(Ops.Slice(pairsView, 1, 0, 1), chunk.Count);
        var other = Ops.Reshape(Ops.Slice(pairsView, 1, 1, 1), chunk.Count);
        float[] oldY = [.. chunk.Select(p => p.Y.OldLogProb)], oldOther = [.. chunk.Select(p => p.Other.OldLogProb)], target = [.. chunk.Select(p => p.Target)];
        var residual = RebelLoss.Residual(y, other, oldY, oldOther, target, Options.Eta);
        double abs = 0;
        foreach (var r in residual.Span) abs += Math.Abs(r);
        return (RebelLoss.FromResidual(residual), abs);
    }

    private sealed class ConstantReward : IReward
    {
        public string Name => "none";

        public float[] Score(IReadOnlyList<RewardQuery> queries) => new float[queries.Count];
    }
}
