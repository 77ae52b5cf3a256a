// A*-PO (Brantley, Chen, Gao, Sun et al. 2025, arXiv 2505.20686). Stage 1, once before the first update: N samples of π_ref per
// training prompt the run will draw give V*(x) = β₁·ln mean exp(r/β₁). Stage 2, every iteration: one sample of π_t per prompt, and β₂·ln π_θ/π_ref is
// regressed onto r − V*(x). No critic, no group of samples per prompt, no clipping; the V* table is kept in checkpoints.
using System.Text.Json.Nodes;
using Rebel.Models;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Training.Data;
using Rebel.Training.Losses;
using Rebel.Training.Rewards;
using Rebel.Training.Rollouts;

namespace Rebel.Training;

/// <summary>Trains a policy with A*-PO: optimal values from π_ref's samples, then least-squares regression onto the optimal advantage.</summary>
public sealed class ApoTrainer : BaselineTrainer<ApoOptions>
{
    // Stage 1 draws from its own stream (the seed's), so that the training stream is the same whether or not V* came from a checkpoint.
    private const ulong ValueStream = 0xA57A_7E57_0000_0001UL;
    private const int ValuePromptsPerBatch = 16;

    private readonly IReadOnlyList<PromptRecord> prompts;
    private readonly Dictionary<PromptRecord, int> promptIndex = new(ReferenceEqualityComparer.Instance);
    private readonly RolloutCollector referenceCollector;
    private float[]? optimalValues;
    private long valueQueries;

    /// <summary>Sets up A*-PO on <paramref name="policy"/> (π_ref is a frozen copy of it as given); stage 1 runs at the first iteration.</summary>
    public ApoTrainer(LanguageModel policy, ITokenizer tokenizer, IReadOnlyList<PromptRecord> prompts, IReward reward, ApoOptions options,
        string? outputDirectory = null)
        : base("apo", policy, tokenizer, prompts, reward, options, outputDirectory)
    {
        this.prompts = prompts;
        for (int i = 0; i < prompts.Count; i++) promptIndex.TryAdd(prompts[i], i);
        referenceCollector = new RolloutCollector(Reference, Reference, tokenizer, reward);
    }

    /// <summary>V*(x) of the training prompts, in the prompts' order (NaN for a prompt the run never draws); null before stage 1 has run.</summary>
    public IReadOnlyList<float>? OptimalValues => optimalValues;

    /// <inheritdoc/>
    protected override long RewardQueries => base.RewardQueries + valueQueries;

    /// <summary>Runs stage 1 if it has not run yet (nor come from a checkpoint), then samples one completion per prompt from π_t.</summary>
    protected override List<Rollout> Collect(List<PromptRecord> share, int first, RolloutSettings settings)
    {
        if (optimalValues is null)
        {
            // The prompts the whole run will draw: the first Iterations × PromptsPerIteration of the trainer's own prompt order.
            long draws = (long)Options.Iterations * Options.PromptsPerIteration;
            var planned = draws >= prompts.Count ? prompts : new PromptStream(prompts, Options.Seed).Next((int)draws);
            var values = new float[prompts.Count];
            Array.Fill(values, float.NaN);
            optimalValues = Estimate(values, planned, settings);
        }
        // A run resumed with more iterations than planned meets prompts stage 1 did not see: estimate those the same way.
        if (share.Any(p => float.IsNaN(optimalValues[promptIndex[p]]))) optimalValues = Estimate([.. optimalValues], share, settings);
        return base.Collect(share, first, settings);
    }

    // Stage 1 for the prompts among `wanted` that have no V* in `values` yet: N samples of π_ref each, scored (the KL shaping is zero: the
    // samples come from π_ref itself), in prompt order from the seed's own stream. Every process of a data-parallel job computes the same
    // table. Counts its reward queries only once done, so an interrupt leaves nothing half-counted.
    private float[] Estimate(float[] values, IEnumerable<PromptRecord> wanted, RolloutSettings settings)
    {
        int[] missing = [.. wanted.Select(p => promptIndex[p]).Distinct().Where(i => float.IsNaN(values[i])).Order()];
        if (missing.Length == 0) return values;
        var rng = new Rng(Options.Seed ^ ValueStream ^ (ulong)missing[0]);
        var sampling = settings with { CompletionsPerPrompt = Options.ValueSamples, KlCoefficient = 0f };
        long before = referenceCollector.RewardQueries;
        var rewards = new float[Options.ValueSamples];
        foreach (var batch in missing.Chunk(ValuePromptsPerBatch))
        {
            var samples = referenceCollector.Collect([.. batch.Select(i => prompts[i])], sampling, rng);
            for (int p = 0; p < batch.Length; p++)
            {
                for (int i = 0; i < rewards.Length; i++) rewards[i] = samples[p * rewards.Length + i].Reward;
                values[batch[p]] = ApoLoss.OptimalValue(rewards, Options.ValueKlCoefficient);
            }
        }
        valueQueries += referenceCollector.RewardQueries - before;
        return values;
    }

    /// <inheritdoc/>
    protected override void Update(List<Rollout> rollouts, Dictionary<string, double> metrics)
    {
        var values = optimalValues ?? throw new InvalidOperationException("ApoTrainer: stage 1 has not run.");
        float[] advantages = [.. rollouts.Select(r => r.Reward - values[promptIndex[r.Prompt]])];
        double lossSum = 0; int steps = 0;
        double gradNorm = TrainEpochs(rollouts.Count, mb =>
        {
            var logp = SequenceLogProbs.Compute(Policy, [.. mb.Select(i => rollouts[i].PromptIds)], [.. mb.Select(i => rollouts[i].Completion)], Options.Temperature); // (B)
            var loss = ApoLoss.Compute(logp, [.. mb.Select(i => rollouts[i].RefLogProb)], [.. mb.Select(i => advantages[i])], Options.KlCoefficient);
            loss.Backward();
            lossSum += loss.Item(); steps++;
        });
        metrics["loss/policy_avg"] = lossSum / Math.Max(steps, 1);
        metrics["apo/optimal_value"] = rollouts.Average(r => values[promptIndex[r.Prompt]]);
        metrics["apo/advantage_abs"] = advantages.Average(a => Math.Abs(a));
        metrics["grad_norm"] = gradNorm;
    }

    /// <inheritdoc/>
    protected override void SaveState(string directory, JsonObject state)
    {
        base.SaveState(directory, state);
        state["value_queries"] = valueQueries;
        if (optimalValues is null) return;
        var values = new JsonObject();
        for (int i = 0; i < optimalValues.Length; i++)
            if (!float.IsNaN(optimalValues[i])) values[$"{i}"] = optimalValues[i];
        state["optimal_values"] = values;
    }

    /// <inheritdoc/>
    protected override void LoadState(string directory, JsonObject state)
    {
        base.LoadState(directory, state);
        valueQueries = state["value_queries"]?.GetValue<long>() ?? 0;
        optimalValues = null;
        if (state["optimal_values"] is not JsonObject saved) return;
        optimalValues = new float[prompts.Count];
        Array.Fill(optimalValues, float.NaN);
        foreach (var (key, value) in saved)
        {
            if (!int.TryParse(key, System.Globalization.CultureInfo.InvariantCulture, out int i) || i < 0 || i >= prompts.Count)
                throw new InvalidDataException($"Resume: the checkpoint holds V* for prompt {key}, this run has {prompts.Count} prompts; resume with the same prompts.");
            optimalValues[i] = value!.GetValue<float>();
        }
    }
}
