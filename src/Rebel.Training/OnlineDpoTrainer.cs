// Online (iterative) DPO: sample completions from π_t, label the best and worst by reward as chosen/rejected, take DPO steps
// against the fixed reference, repeat.
using Rebel.Models;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Training.Data;
using Rebel.Training.Losses;
using Rebel.Training.Rewards;
using Rebel.Training.Rollouts;

namespace Rebel.Training;

/// <summary>Trains a policy with online DPO.</summary>
public sealed class OnlineDpoTrainer : BaselineTrainer<OnlineDpoOptions>
{
    /// <summary>Sets up online DPO on <paramref name="policy"/> (π_ref is a frozen copy of it as given).</summary>
    public OnlineDpoTrainer(LanguageModel policy, ITokenizer tokenizer, IReadOnlyList<PromptRecord> prompts, IReward reward, OnlineDpoOptions options,
        string? outputDirectory = null)
        : base("online-dpo", policy, tokenizer, prompts, reward, options, outputDirectory) { }

    /// <inheritdoc/>
    protected override void Update(List<Rollout> rollouts, Dictionary<string, double> metrics)
    {
        var pairs = rollouts.GroupBy(r => r.Group).Select(g => (Chosen: g.MaxBy(r => r.Reward)!, Rejected: g.MinBy(r => r.Reward)!)).ToList();
        double lossSum = 0, accuracy = 0; int steps = 0, seen = 0;
        double gradNorm = TrainEpochs(pairs.Count, mb =>
        {
            var both = mb.SelectMany(i => new[] { pairs[i].Chosen, pairs[i].Rejected }).ToList();
            var logp = SequenceLogProbs.Compute(Policy, [.. both.Select(r => r.PromptIds)], [.. both.Select(r => r.Completion)], Options.Temperature); // (2B)
            var view = Ops.Reshape(logp, mb.Length, 2);
            var chosen = Ops.Reshape(Ops.Slice(view, 1, 0, 1), mb.Length);
            var rejected = Ops.Reshape(Ops.Slice(view, 1, 1, 1), mb.Length);
            float[] refChosen = [.. mb.Select(i => pairs[i].Chosen.RefLogProb)], refRejected = [.. mb.Select(i => pairs[i].Rejected.RefLogProb)];
            var margin = DpoLoss.Margin(chosen, rejected, refChosen, refRejected, Options.Beta);
            foreach (var z in margin.Span) { accuracy += z > 0 ? 1 : 0; seen++; }
            var loss = DpoLoss.Compute(chosen, rejected, refChosen, refRejected, Options.Beta);
            loss.Backward();
            lossSum += loss.Item(); steps++;
        });
        metrics["loss/policy_avg"] = lossSum / Math.Max(steps, 1);
        metrics["rewards/accuracies"] = accuracy / Math.Max(seen, 1);
        metrics["grad_norm"] = gradNorm;
    }
}
