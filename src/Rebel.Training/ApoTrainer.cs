// A*-PO (Brantley, Chen, Gao, Sun et al. 2025, arXiv 2505.20686). Stage 1, once before the first update: N samples of π_ref per
// training prompt give V*(x) = β₁·ln mean exp(r/β₁). Stage 2, every iteration: one sample of π_t per prompt, and β₂·ln π_θ/π_ref is
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

    /// <summary>V*(x) of every training prompt, in the prompts' order; null before stage 1 has run.</summary>
    public IReadOnlyList<float>? OptimalValues => optimalValues;

    /// <inheritdoc/>
    protected override long RewardQueries => base.RewardQueries + valueQueries;

    /// <summary>Runs stage 1 if it has not run yet (nor come from a checkpoint), then samples one completion per prompt from π_t.</summary>
    protected override List<Rollout> Collect(List<PromptRecord> share, int first, RolloutSettings settings)
    {
        optimalValues ??= EstimateOptimalValues(settings);
        return base.Collect(share, first, settings);
    }

    // Stage 1: N samples of π_ref per training prompt, scored (the KL shaping is zero: the samples come from π_ref itself). Every process
    // of a data-parallel job computes the whole table from the same stream, so all hold the same V*. Counts its reward queries once done,
    // so an interrupt leaves nothing half-counted.
    private float[] EstimateOptimalValues(RolloutSettings settings)
    {
        var values = new float[prompts.Count];
        var rng = new Rng(Options.Seed ^ ValueStream);
        var sampling = settings with { CompletionsPerPrompt = Options.ValueSamples, KlCoefficient = 0f };
        long before = referenceCollector.RewardQueries;
        var rewards = new float[Options.ValueSamples];
        for (int start = 0; start < prompts.Count; start += ValuePromptsPerBatch)
        {
            var batch = prompts.Skip(start).Take(ValuePromptsPerBatch).ToList();
            var samples = referenceCollector.Collect(batch, sampling, rng, start);
            for (int p = 0; p < batch.Count; p++)
            {
                for (int i = 0; i < rewards.Length; i++) rewards[i] = samples[p * rewards.Length + i].Reward;
                values[start + p] = ApoLoss.OptimalValue(rewards, Options.ValueKlCoefficient);
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
        if (optimalValues is not null) state["optimal_values"] = new JsonArray([.. optimalValues.Select(v => (JsonNode)JsonValue.Create(v))]);
    }

    /// <inheritdoc/>
    protected override void LoadState(string directory, JsonObject state)
    {
        base.LoadState(directory, state);
        valueQueries = state["value_queries"]?.GetValue<long>() ?? 0;
        optimalValues = state["optimal_values"] is JsonArray values ? [.. values.Select(v => v!.GetValue<float>())] : null;
        if (optimalValues is not null && optimalValues.Length != prompts.Count)
            throw new InvalidDataException($"Resume: the checkpoint holds V* for {optimalValues.Length} prompts, this run has {prompts.Count}; resume with the same prompts.");
    }
}
