// GRPO (Shao et al. 2024) as TRL's GRPOTrainer: G completions per prompt, advantages relative to the group (scaled by the group's
// or the batch's std, or not), PPO's clipped ratio per token (clip-higher optional), a k3 estimate of KL(π_θ‖π_ref) in the loss
// when β > 0, and TRL's four loss aggregations (grpo, dr-grpo, dapo, bnpo). No critic.
using Rebel.Models;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Tensors.Distributed;
using Rebel.Training.Data;
using Rebel.Training.Losses;
using Rebel.Training.Rewards;
using Rebel.Training.Rollouts;

namespace Rebel.Training;

/// <summary>Trains a policy with Group Relative Policy Optimization.</summary>
public sealed class GrpoTrainer : BaselineTrainer<GrpoOptions>
{
    /// <summary>Sets up GRPO on <paramref name="policy"/> (π_ref is a frozen copy of it as given).</summary>
    public GrpoTrainer(LanguageModel policy, ITokenizer tokenizer, IReadOnlyList<PromptRecord> prompts, IReward reward, GrpoOptions options,
        string? outputDirectory = null)
        : base("grpo", policy, tokenizer, prompts, reward, options, outputDirectory) { }

    /// <inheritdoc/>
    protected override void Update(List<Rollout> rollouts, Dictionary<string, double> metrics)
    {
        var o = Options;
        var advantages = new float[rollouts.Count];
        float[] scores = [.. rollouts.Select(r => r.Score)];
        GrpoLoss.Advantages(scores, o.CompletionsPerPrompt, advantages, o.ScaleRewards, batchStd: o.ScaleRewards == RewardScaling.Batch ? GlobalStd(scores) : null);
        var old = TokenLayout.TokenLogProbs(Policy, rollouts, o.Temperature);
        var reference = o.KlCoefficient == 0 ? null : TokenLayout.TokenLogProbs(Reference, rollouts, o.Temperature);
        double lossSum = 0, k3Sum = 0; int steps = 0;
        double gradNorm = TrainEpochs(rollouts.Count, mb =>
        {
            var batch = mb.Select(i => rollouts[i]).ToList();
            var logp = SequenceLogProbs.ComputeTokens(Policy, [.. batch.Select(r => r.PromptIds)], [.. batch.Select(r => r.Completion)], o.Temperature, out var mask); // (B, T)
            int time = logp.Shape[1];
            if (o.MaskTruncatedCompletions)
                for (int b = 0; b < batch.Count; b++)
                    if (!batch[b].EndedWithEos) mask.AsSpan(b * time, time).Clear();
            float[] refFlat = reference is null ? [] : TokenLayout.Scatter(batch, [.. mb.Select(i => reference[i])], time);
            var perToken = GrpoLoss.PerToken(logp, TokenLayout.Scatter(batch, [.. mb.Select(i => old[i])], time), refFlat,
                [.. mb.Select(i => advantages[i])], o.ClipRange, o.EpsilonHigh ?? o.ClipRange, o.KlCoefficient); // (B, T)
            var loss = o.LossType switch
            {
                GrpoLossType.Grpo => GrpoLoss.SequenceMean(perToken, mask),
                GrpoLossType.DrGrpo => GrpoLoss.MaskedSum(perToken, mask, batch.Count * o.MaxNewTokens),
                GrpoLossType.Dapo => GrpoLoss.MaskedSum(perToken, mask, StepTokens(mask)),
                _ => GrpoLoss.MaskedSum(perToken, mask, mask.Sum()),
            };
            if (reference is not null) k3Sum += Advantages.MaskedMean(GrpoLoss.KlK3(logp, refFlat), mask).Item();
            loss.Backward();
            lossSum += loss.Item(); steps++;
        });
        metrics["loss/policy_avg"] = lossSum / Math.Max(steps, 1);
        if (reference is not null) metrics["grpo/kl_k3"] = k3Sum / Math.Max(steps, 1);
        metrics["grad_norm"] = gradNorm;
    }

    // DAPO's normaliser: the masked tokens of the whole optimizer step over the job's processes, divided by their number because
    // the optimizer averages the processes' gradients (so the job's gradient is that of Σ m·ℓ over all tokens / their count).
    private static float StepTokens(float[] mask)
    {
        var job = Collectives.World;
        double[] count = [mask.Sum()];
        job.AllReduceSum(count);
        return (float)(count[0] / job.Size);
    }

    // The std (n−1) of the whole batch's scores over the job's processes (TRL's scale_rewards="batch").
    private static double GlobalStd(float[] scores)
    {
        var job = Collectives.World;
        double[] sums = [scores.Length, 0, 0];
        foreach (var s in scores) { sums[1] += s; sums[2] += (double)s * s; }
        job.AllReduceSum(sums);
        double n = sums[0], mean = sums[1] / Math.Max(n, 1);
        return n < 2 ? 0 : Math.Sqrt(Math.Max(sums[2] - n * mean * mean, 0) / (n - 1));
    }
}
