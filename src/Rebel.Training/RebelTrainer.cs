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
/// <see cref="Tied"/> marks a best-vs-worst prompt whose completions all scored alike: it keeps its place in the minibatches but adds
/// nothing to the loss (it has no best and worst; a completion paired with itself would add a zero residual).
/// </summary>
public sealed record RebelGroup(IReadOnlyList<Rollout> Members, float[] Targets, bool Tied = false);

/// <summary>Trains a policy with REBEL against a reward (or a pairwise preference model).</summary>
public sealed class RebelTrainer : LanguagePolicyTrainer
{
    private readonly IPreference? preference;

    /// <summary>The options in force.</summary>
    public RebelOptions Options { get; }

    /// <summary>
    /// Sets up REBEL on <paramref name="policy"/> (π_ref is a frozen copy of it as given). Exactly one of <paramref name="reward"/>
    /// and <paramref name="preference"/> must be given; with a preference model the regression target is P(y ≻ y') − ½.
    /// </summary>
    public RebelTrainer(LanguageModel policy, ITokenizer tokenizer, IReadOnlyList<PromptRecord> prompts, IReward? reward, RebelOptions options,
        string? outputDirectory = null, IPreference? preference = null)
        : base("rebel", policy, tokenizer, prompts, Either(reward, preference), options, StepsPerEpoch(options, preference is not null), outputDirectory)
    {
        Options = options;
        this.preference = preference;
    }

    private static IReward Either(IReward? reward, IPreference? preference) =>
        (reward is null) != (preference is null) ? reward ?? new ConstantReward() : throw new ArgumentException("RebelTrainer: give either a reward or a preference model.");

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

    private static int StepsPerEpoch(RebelOptions o, bool preference)
    {
        var (groupsPerPrompt, groupSize) = GroupShape(o, preference);
        return StepsPerEpoch(o.PromptsPerIteration * groupsPerPrompt, GroupsPerStep(o, groupSize));
    }

    /// <summary>Samples completions (offline: one, paired with the dataset's response).</summary>
    protected override List<Rollout> Collect(List<PromptRecord> share, int first, RolloutSettings settings)
    {
        var rollouts = base.Collect(share, first, settings);
        if (Options.OfflineResponseField is not null) rollouts.AddRange(DatasetResponses(share, settings));
        return rollouts;
    }

    /// <summary>Pairs completions of each prompt and regresses their log-ratio differences onto their reward differences for E epochs.</summary>
    protected override void Update(List<Rollout> rollouts, Dictionary<string, double> metrics)
    {
        var groups = MakeGroups(rollouts);
        var (loss, residual, entropy, gradNorm) = Regress(groups);
        metrics["rebel/tied_fraction"] = (double)groups.Count(g => g.Tied) / groups.Count;
        metrics["objective/entropy"] = entropy;
        metrics["loss/policy_avg"] = loss;
        metrics["rebel/residual_abs"] = residual;
        metrics["grad_norm"] = gradNorm;
    }

    private List<Rollout> DatasetResponses(List<PromptRecord> batch, RolloutSettings settings)
    {
        var eos = settings.Sampling.EosTokenIds[0];
        var promptIds = batch.Select(p => p.Encode(Tokenizer)).ToArray();
        var responses = batch.Select(p =>
        {
            var text = p.Field(Options.OfflineResponseField!) ?? throw new InvalidDataException($"{p.Source}: missing the offline response field \"{Options.OfflineResponseField}\".");
            return (int[])[.. Tokenizer.Encode(text, addSpecialTokens: false), eos];
        }).ToArray();
        float t = Options.Temperature;
        var old = RolloutCollector.LogProbs(Policy, promptIds, responses, t);
        return Collector.Score([.. batch.Select((p, i) => new SampledCompletion(i, p, promptIds[i], responses[i], EndedWithEos: true, old[i]))], settings);
    }

    /// <summary>Groups completions of the same prompt (see <see cref="GroupShape"/>) and sets their regression targets.</summary>
    private List<RebelGroup> MakeGroups(List<Rollout> rollouts)
    {
        var groups = new List<RebelGroup>();
        foreach (var prompt in rollouts.GroupBy(r => r.Group))
        {
            var g = prompt.ToList();
            if (g.Count > 2 && Options.Pairing == PairingMode.BestWorst)
            {
                if (BestWorst.Of(g) is not { } pair)
                {
                    groups.Add(new RebelGroup([g[0], g[1]], [g[0].Reward, g[1].Reward], Tied: true));
                    continue;
                }
                g = [pair.Best, pair.Worst];
            }
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
        double lossSum = 0, residualSum = 0, entropySum = 0;
        long pairCount = 0, entropyCount = 0;
        int size = groups[0].Members.Count;
        if (groups.Any(g => g.Members.Count != size)) throw new InvalidOperationException("RebelTrainer: prompts gave different numbers of completions.");
        int pairsPerGroup = size * (size - 1) / 2;
        double gradNorm = TrainEpochs(groups.Count, GroupsPerStep(Options, size), (epoch, batch) =>
        {
            int[] live = [.. batch.Where(k => !groups[k].Tied)];
            int micro = (live.Length + Options.GradientAccumulation - 1) / Options.GradientAccumulation;
            foreach (var part in live.Chunk(Math.Max(micro, 1)))
            {
                var chunk = part.Select(k => groups[k]).ToList();
                using var scope = new TensorScope();
                var entropy = epoch == 0 ? new float[size * chunk.Count] : null;
                var (loss, residual) = GroupLoss(chunk, size, entropy);
                Ops.Mul(loss, (float)chunk.Count / live.Length).Backward();
                lossSum += loss.Item() * chunk.Count * pairsPerGroup;
                residualSum += residual;
                pairCount += chunk.Count * pairsPerGroup;
                if (entropy is not null) { entropySum += entropy.Sum(); entropyCount += entropy.Length; }
            }
        });
        return (lossSum / Math.Max(pairCount, 1), residualSum / Math.Max(pairCount, 1), entropySum / Math.Max(entropyCount, 1), gradNorm);
    }

    /// <summary>The REBEL loss over a chunk of groups of <paramref name="size"/> (mean over their pairs) and Σ over pairs of |residual|.</summary>
    private (Tensor Loss, double ResidualAbsSum) GroupLoss(List<RebelGroup> chunk, int size, float[]? entropy)
    {
        var members = chunk.SelectMany(g => g.Members).ToList();
        var logp = SequenceLogProbs.Compute(Policy, [.. members.Select(r => r.PromptIds)], [.. members.Select(r => r.Completion)], Options.Temperature, entropy); // (G·n)
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
