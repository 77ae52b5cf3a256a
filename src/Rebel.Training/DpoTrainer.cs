// Offline DPO (Rafailov et al. 2023): fixed {"prompt", "chosen", "rejected"} pairs, a frozen reference (the policy as given),
// and the logistic loss on β·(ln π_θ/π_ref(y_w) − ln π_θ/π_ref(y_l)). Reference log-probs are computed once up front.
using Rebel.Models;
using Rebel.Models.Sampling;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Tensors.Distributed;
using Rebel.Tensors.Optim;
using Rebel.Training.Checkpointing;
using Rebel.Training.Data;
using Rebel.Training.Losses;
using Rebel.Training.Reporting;
using Rebel.Training.Rollouts;

namespace Rebel.Training;

/// <summary>Trains a policy with DPO on a fixed preference dataset.</summary>
public sealed class DpoTrainer
{
    private readonly LanguageModel policy;
    private readonly int[][] promptIds, chosen, rejected;
    private readonly float[] refChosen, refRejected;
    private readonly AdamW optimizer;
    private readonly LrSchedule schedule;
    private readonly Rng rng;
    private readonly string? metricsPath;
    private int[] index;

    /// <summary>The options in force.</summary>
    public DpoOptions Options { get; }

    /// <summary>Optimizer steps taken (one metrics row each).</summary>
    public int Step { get; private set; }

    /// <summary>Metrics of every step: loss, rewards/accuracies, rewards/margins.</summary>
    public MetricsLog Metrics { get; private set; }

    /// <summary>Number of preference pairs.</summary>
    public int PairCount => promptIds.Length;

    /// <summary>Sets up DPO; π_ref is <paramref name="policy"/> as given, scored once on every pair.</summary>
    public DpoTrainer(LanguageModel policy, ITokenizer tokenizer, IReadOnlyList<PreferencePair> pairs, DpoOptions options, string? outputDirectory = null)
    {
        options.Validate();
        if (pairs.Count == 0) throw new ArgumentException("DpoTrainer: no preference pairs.");
        Options = options;
        this.policy = policy;
        int eos = EosTokens.Of(policy.Config, tokenizer) is { Length: > 0 } ids ? ids[0]
            : throw new InvalidOperationException("DpoTrainer: neither the model nor the tokenizer names an EOS token.");
        int[] Response(PreferencePair p, string text)
        {
            var ids = tokenizer.Encode(text, addSpecialTokens: false);
            return p.EndsTurn ? (ids.Length > 0 ? ids : throw new InvalidDataException($"{p.Source}: a completion encodes to no tokens.")) : [.. ids, eos];
        }
        promptIds = [.. pairs.Select(p => p.Prompt.Encode(tokenizer))];
        chosen = [.. pairs.Select(p => Response(p, p.Chosen))];
        rejected = [.. pairs.Select(p => Response(p, p.Rejected))];
        using (LanguageModel.AdaptersOff()) // the reference is the policy as given, or with LoRA its base
        {
            refChosen = RolloutCollector.LogProbs(policy, promptIds, chosen, 1f);
            refRejected = RolloutCollector.LogProbs(policy, promptIds, rejected, 1f);
        }
        optimizer = new AdamW(policy.Parameters, options.LearningRate, epsilon: options.AdamEpsilon, weightDecay: 0f);
        schedule = new LrSchedule(options.Schedule, options.LearningRate, options.Epochs * StepsPerEpoch, options.WarmupSteps);
        rng = new Rng(options.Seed);
        index = [.. Enumerable.Range(0, pairs.Count)];
        if (outputDirectory is not null)
        {
            Directory.CreateDirectory(outputDirectory);
            Hyperparameters.Write(outputDirectory, "dpo", options);
        }
        metricsPath = outputDirectory is null ? null : Path.Combine(outputDirectory, "metrics.jsonl");
        Metrics = MetricsLog.Create(metricsPath);
    }

    /// <summary>Called after every optimizer step with its metrics row.</summary>
    public Action<IReadOnlyDictionary<string, double>>? StepCompleted { get; set; }

    /// <summary>Optimizer steps of one epoch over the pairs.</summary>
    public int StepsPerEpoch => (PairCount + Options.BatchPairs - 1) / Options.BatchPairs;

    /// <summary>
    /// The remaining steps of all epochs over the pairs, in a seeded shuffled order each epoch; <paramref name="stopAfter"/>, when given,
    /// is asked after each step (its number) whether to stop there.
    /// </summary>
    public void Train(CancellationToken cancel = default, Func<int, bool>? stopAfter = null)
    {
        while (Step < Options.Epochs * StepsPerEpoch)
        {
            int epoch = Step / StepsPerEpoch, start = Step % StepsPerEpoch * Options.BatchPairs;
            if (start == 0) rng.Shuffle<int>(index);
            cancel.ThrowIfCancellationRequested();
            TrainStep(index[start..Math.Min(start + Options.BatchPairs, index.Length)], epoch);
            if (stopAfter?.Invoke(Step) == true) return;
        }
    }

    /// <summary>Writes a resumable checkpoint (weights, π_ref's log-probs, optimizer, this epoch's pair order, RNG) to <paramref name="directory"/>.</summary>
    public void SaveCheckpoint(string directory) =>
        TrainerCheckpoint.Save(directory, "dpo", optimizer, rng, (tmp, state) =>
        {
            WeightFile.SaveModel(policy, Path.Combine(tmp, "policy.safetensors"));
            WeightFile.SaveBuffers([refChosen, refRejected], Path.Combine(tmp, "reference_logprobs.safetensors"));
            state["step"] = Step;
            state["order"] = TrainerCheckpoint.ToJson(index);
        });

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/>; <see cref="Train"/> then continues as if never stopped.</summary>
    public void LoadCheckpoint(string directory)
    {
        var state = TrainerCheckpoint.Load(directory, "dpo", optimizer, rng);
        WeightFile.LoadModel(policy, Path.Combine(directory, "policy.safetensors"));
        WeightFile.LoadBuffers([refChosen, refRejected], Path.Combine(directory, "reference_logprobs.safetensors"));
        Step = state["step"]!.GetValue<int>();
        index = TrainerCheckpoint.IntArray(state["order"]);
        Metrics = MetricsLog.Resume(metricsPath, keepUpToIteration: Step);
    }

    private void TrainStep(int[] globalBatch, int epoch)
    {
        using var scope = new TensorScope();
        var (share, _, weight) = Collectives.World.WeightedShare(globalBatch, "DpoTrainer: pairs per step");
        int[] batch = [.. share];
        int n = batch.Length;
        var prompts = batch.SelectMany(i => new[] { promptIds[i], promptIds[i] }).ToList();
        var responses = batch.SelectMany(i => new[] { chosen[i], rejected[i] }).ToList();
        var logp = SequenceLogProbs.Compute(policy, prompts, responses, 1f); // (2B): chosen, rejected interleaved
        var view = Ops.Reshape(logp, n, 2);
        var w = Ops.Reshape(Ops.Slice(view, 1, 0, 1), n);
        var l = Ops.Reshape(Ops.Slice(view, 1, 1, 1), n);
        float[] rw = [.. batch.Select(i => refChosen[i])], rl = [.. batch.Select(i => refRejected[i])];
        var margin = DpoLoss.Margin(w, l, rw, rl, Options.Beta).ToArray();
        var loss = DpoLoss.Compute(w, l, rw, rl, Options.Beta);
        Ops.Mul(loss, weight).Backward();
        optimizer.LearningRate = schedule.At(optimizer.StepCount);
        double gradNorm = optimizer.ClipAndStep(Options.MaxGradNorm);
        Step++;
        var row = new Dictionary<string, double>
        {
            ["iteration"] = Step,
            ["epoch"] = epoch,
            ["loss/policy_avg"] = loss.Item(),
            ["rewards/accuracies"] = margin.Average(z => z > 0 ? 1.0 : 0.0),
            ["rewards/margins"] = margin.Average(z => (double)z),
            ["grad_norm"] = gradNorm,
            ["lr"] = optimizer.LearningRate,
        };
        Metrics.Append(row);
        StepCompleted?.Invoke(row);
    }

    /// <summary>Writes the policy weights to <paramref name="path"/> (a .safetensors file).</summary>
    public void SavePolicy(string path) => WeightFile.SaveModel(policy, path);
}
