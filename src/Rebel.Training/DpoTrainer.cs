// Offline DPO (Rafailov et al. 2023): fixed {"prompt", "chosen", "rejected"} pairs, a frozen reference (the policy as given),
// and the logistic loss on β·(ln π_θ/π_ref(y_w) − ln π_θ/π_ref(y_l)). Reference log-probs are computed once up front.
using Rebel.Models;
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

    /// <summary>The options in force.</summary>
    public DpoOptions Options { get; }

    /// <summary>Optimizer steps taken (one metrics row each).</summary>
    public int Step { get; private set; }

    /// <summary>Metrics of every step: loss, rewards/accuracies, rewards/margins.</summary>
    public MetricsLog Metrics { get; }

    /// <summary>Number of preference pairs.</summary>
    public int PairCount => promptIds.Length;

    /// <summary>Sets up DPO; π_ref is <paramref name="policy"/> as given, scored once on every pair.</summary>
    public DpoTrainer(LanguageModel policy, ITokenizer tokenizer, IReadOnlyList<PreferencePair> pairs, DpoOptions options, string? outputDirectory = null)
    {
        options.Validate();
        if (pairs.Count == 0) throw new ArgumentException("DpoTrainer: no preference pairs.");
        Options = options;
        this.policy = policy;
        int eos = policy.Config.EosTokenIds.Length > 0 ? policy.Config.EosTokenIds[0]
            : tokenizer.EosTokenId ?? throw new InvalidOperationException("DpoTrainer: neither the model nor the tokenizer names an EOS token.");
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
        int steps = options.Epochs * ((pairs.Count + options.BatchPairs - 1) / options.BatchPairs);
        schedule = new LrSchedule(options.Schedule, options.LearningRate, steps, options.WarmupSteps);
        rng = new Rng(options.Seed);
        if (outputDirectory is not null) Directory.CreateDirectory(outputDirectory);
        Metrics = MetricsLog.Create(outputDirectory is null ? null : Path.Combine(outputDirectory, "metrics.jsonl"));
    }

    /// <summary>Called after every optimizer step with its metrics row.</summary>
    public Action<IReadOnlyDictionary<string, double>>? StepCompleted { get; set; }

    /// <summary>All epochs over the pairs, in a seeded shuffled order each epoch.</summary>
    public void Train(CancellationToken cancel = default)
    {
        var index = Enumerable.Range(0, PairCount).ToArray();
        for (int epoch = 0; epoch < Options.Epochs; epoch++)
        {
            for (int i = index.Length - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (index[i], index[j]) = (index[j], index[i]);
            }
            for (int start = 0; start < index.Length; start += Options.BatchPairs)
            {
                cancel.ThrowIfCancellationRequested();
                TrainStep(index[start..Math.Min(start + Options.BatchPairs, index.Length)], epoch);
            }
        }
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
