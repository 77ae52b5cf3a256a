// RLOO (Ahmadian et al. 2024): k completions per prompt, each with advantage r_i − mean_{j≠i} r_j, trained with the score-function
// gradient through TRL's sequence-level clipped importance ratio (every optimizer step after the first on a batch is off-policy).
using Rebel.Models;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Training.Data;
using Rebel.Training.Losses;
using Rebel.Training.Rewards;
using Rebel.Training.Rollouts;

namespace Rebel.Training;

/// <summary>Trains a policy with REINFORCE Leave-One-Out.</summary>
public sealed class RlooTrainer : BaselineTrainer<RlooOptions>
{
    /// <summary>Sets up RLOO on <paramref name="policy"/> (π_ref is a frozen copy of it as given).</summary>
    public RlooTrainer(LanguageModel policy, ITokenizer tokenizer, IReadOnlyList<PromptRecord> prompts, IReward reward, RlooOptions options,
        string? outputDirectory = null)
        : base("rloo", policy, tokenizer, prompts, reward, options, outputDirectory) { }

    /// <inheritdoc/>
    protected override void Update(List<Rollout> rollouts, Dictionary<string, double> metrics)
    {
        var advantages = new float[rollouts.Count];
        RlooLoss.Advantages([.. rollouts.Select(r => r.Reward)], Options.CompletionsPerPrompt, advantages);
        double lossSum = 0; int steps = 0;
        double gradNorm = TrainEpochs(rollouts.Count, mb =>
        {
            var logp = SequenceLogProbs.Compute(Policy, [.. mb.Select(i => rollouts[i].PromptIds)], [.. mb.Select(i => rollouts[i].Completion)], Options.Temperature); // (B)
            var loss = RlooLoss.Compute(logp, [.. mb.Select(i => rollouts[i].OldLogProb)], [.. mb.Select(i => advantages[i])], Options.ClipRange);
            loss.Backward();
            lossSum += loss.Item(); steps++;
        });
        metrics["loss/policy_avg"] = lossSum / Math.Max(steps, 1);
        metrics["rloo/advantage_abs"] = advantages.Average(a => Math.Abs(a));
        metrics["grad_norm"] = gradNorm;
    }
}
