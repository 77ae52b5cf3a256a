// REINFORCE with a running-mean baseline (Williams 1992): advantage r − b, b an exponential average of past batch rewards.
using System.Text.Json.Nodes;
using Rebel.Models;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Tensors.Distributed;
using Rebel.Training.Data;
using Rebel.Training.Losses;
using Rebel.Training.Rewards;
using Rebel.Training.Rollouts;

namespace Rebel.Training;

/// <summary>Trains a policy with REINFORCE and a running-mean baseline.</summary>
public sealed class ReinforceTrainer : BaselineTrainer<ReinforceOptions>
{
    private float? baseline;

    /// <summary>Sets up REINFORCE on <paramref name="policy"/> (π_ref is a frozen copy of it as given).</summary>
    public ReinforceTrainer(LanguageModel policy, ITokenizer tokenizer, IReadOnlyList<PromptRecord> prompts, IReward reward, ReinforceOptions options,
        string? outputDirectory = null)
        : base("reinforce", policy, tokenizer, prompts, reward, options, outputDirectory) { }

    /// <inheritdoc/>
    protected override void Update(List<Rollout> rollouts, Dictionary<string, double> metrics)
    {
        float[] rewards = [.. rollouts.Select(r => r.Reward)];
        // The first batch has no history: its own mean is the baseline. Later batches use the average of earlier ones. The mean is
        // the global batch's (sums over the job's processes).
        double[] sums = [0, rewards.Length];
        foreach (var r in rewards) sums[0] += r;
        Collectives.World.AllReduceSum(sums);
        double batchMean = sums[0] / Math.Max(sums[1], 1);
        float b = baseline ?? (float)batchMean;
        double lossSum = 0; int steps = 0;
        double gradNorm = TrainEpochs(rollouts.Count, mb =>
        {
            var logp = SequenceLogProbs.Compute(Policy, [.. mb.Select(i => rollouts[i].PromptIds)], [.. mb.Select(i => rollouts[i].Completion)], Options.Temperature); // (B)
            var loss = ReinforceLoss.Compute(logp, [.. mb.Select(i => rollouts[i].OldLogProb)], [.. mb.Select(i => rewards[i])], b, Options.ClipRange);
            loss.Backward();
            lossSum += loss.Item(); steps++;
        });
        baseline = ReinforceLoss.UpdateBaseline(baseline, batchMean, Options.BaselineDecay);
        metrics["loss/policy_avg"] = lossSum / Math.Max(steps, 1);
        metrics["reinforce/baseline"] = b;
        metrics["grad_norm"] = gradNorm;
    }

    /// <inheritdoc/>
    protected override void SaveState(string directory, JsonObject state)
    {
        base.SaveState(directory, state);
        state["baseline"] = baseline;
    }

    /// <inheritdoc/>
    protected override void LoadState(string directory, JsonObject state)
    {
        base.LoadState(directory, state);
        baseline = state["baseline"]?.GetValue<float>();
    }
}
