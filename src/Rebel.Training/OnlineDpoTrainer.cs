// Online (iterative) DPO: sample completions from π_t, label the best and worst by reward as chosen/rejected (ties skipped),
// take DPO steps against the fixed reference on log-probs of the raw logits (as TRL), repeat.
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

    /// <summary>
    /// One DPO pair per prompt, best against worst by reward (<see cref="BestWorst"/>); a prompt whose completions tie has no pair and
    /// is skipped. ln π_θ and ln π_ref are taken from the raw logits (temperature 1, as TRL), not the sampling temperature's.
    /// </summary>
    protected override void Update(List<Rollout> rollouts, Dictionary<string, double> metrics)
    {
        // Every prompt keeps a slot so the minibatches (and a data-parallel job's steps) stay the same; a tied prompt's slot is empty.
        var pairs = rollouts.GroupBy(r => r.Group).Select(g => BestWorst.Of([.. g])).ToList();
        var live = pairs.Where(p => p is not null).Select(p => p!.Value).ToList();
        var refLogProbs = RawLogProbs(Reference, [.. live.SelectMany(p => new[] { p.Best, p.Worst })]);
        var refOf = new Dictionary<Rollout, float>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < live.Count; i++) { refOf[live[i].Best] = refLogProbs[2 * i]; refOf[live[i].Worst] = refLogProbs[2 * i + 1]; }
        double lossSum = 0, accuracy = 0, chosenSum = 0, rejectedSum = 0; int steps = 0, seen = 0;
        double gradNorm = TrainEpochs(pairs.Count, mb =>
        {
            var batch = mb.Where(i => pairs[i] is not null).Select(i => pairs[i]!.Value).ToList();
            if (batch.Count == 0) return;
            var both = batch.SelectMany(p => new[] { p.Best, p.Worst }).ToList();
            var logp = SequenceLogProbs.Compute(Policy, [.. both.Select(r => r.PromptIds)], [.. both.Select(r => r.Completion)], 1f); // (2B)
            var view = Ops.Reshape(logp, batch.Count, 2);
            var chosen = Ops.Reshape(Ops.Slice(view, 1, 0, 1), batch.Count);
            var rejected = Ops.Reshape(Ops.Slice(view, 1, 1, 1), batch.Count);
            float[] refChosen = [.. batch.Select(p => refOf[p.Best])], refRejected = [.. batch.Select(p => refOf[p.Worst])];
            var margin = DpoLoss.Margin(chosen, rejected, refChosen, refRejected, Options.Beta);
            foreach (var z in margin.Span) { accuracy += z > 0 ? 1 : 0; seen++; }
            foreach (var c in chosen.Span) chosenSum += c;
            foreach (var r in rejected.Span) rejectedSum += r;
            var loss = DpoLoss.Compute(chosen, rejected, refChosen, refRejected, Options.Beta);
            loss.Backward();
            lossSum += loss.Item(); steps++;
        });
        metrics["loss/policy_avg"] = lossSum / Math.Max(steps, 1);
        metrics["rewards/accuracies"] = accuracy / Math.Max(seen, 1);
        metrics["logps/chosen"] = chosenSum / Math.Max(seen, 1);
        metrics["logps/rejected"] = rejectedSum / Math.Max(seen, 1);
        metrics["online_dpo/tied_fraction"] = (double)(pairs.Count - live.Count) / Math.Max(pairs.Count, 1);
        metrics["grad_norm"] = gradNorm;
    }

    // ln model(y|x) from the raw logits (temperature 1), without gradient.
    private static float[] RawLogProbs(LanguageModel model, List<Rollout> rollouts) =>
        RolloutCollector.LogProbs(model, [.. rollouts.Select(r => r.PromptIds)], [.. rollouts.Select(r => r.Completion)], 1f);
}
