// GRPO (Shao et al. 2024): G completions per prompt, advantages normalised within the group, PPO's clipped ratio per token,
// and a k3 estimate of KL(π_θ‖π_ref) in the loss instead of the reward. No critic.
using Rebel.Models;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
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
        var advantages = new float[rollouts.Count];
        GrpoLoss.Advantages([.. rollouts.Select(r => r.Score)], Options.CompletionsPerPrompt, advantages);
        var old = TokenLayout.TokenLogProbs(Policy, rollouts, Options.Temperature);
        var reference = TokenLayout.TokenLogProbs(Reference, rollouts, Options.Temperature);
        double lossSum = 0, k3Sum = 0; int steps = 0;
        double gradNorm = TrainEpochs(rollouts.Count, mb =>
        {
            var batch = mb.Select(i => rollouts[i]).ToList();
            var logp = SequenceLogProbs.ComputeTokens(Policy, [.. batch.Select(r => r.PromptIds)], [.. batch.Select(r => r.Completion)], Options.Temperature, out var mask); // (B, T)
            int time = logp.Shape[1];
            var refFlat = TokenLayout.Scatter(batch, [.. mb.Select(i => reference[i])], time);
            var loss = GrpoLoss.Compute(logp, TokenLayout.Scatter(batch, [.. mb.Select(i => old[i])], time), refFlat,
                [.. mb.Select(i => advantages[i])], mask, Options.ClipRange, Options.KlCoefficient);
            k3Sum += Advantages.MaskedMean(GrpoLoss.KlK3(logp, refFlat), mask).Item();
            loss.Backward();
            lossSum += loss.Item(); steps++;
        });
        metrics["loss/policy_avg"] = lossSum / Math.Max(steps, 1);
        metrics["grpo/kl_k3"] = k3Sum / Math.Max(steps, 1);
        metrics["grad_norm"] = gradNorm;
    }
}
