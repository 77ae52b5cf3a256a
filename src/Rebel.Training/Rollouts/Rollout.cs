// Rollouts shared by every online trainer: sample completions from π_t, score them, compute π_ref log-probs and
// the KL-shaped reward r = score − β·Σ_t (ln π_t − ln π_ref).
using Rebel.Models;
using Rebel.Models.Sampling;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Training.Data;
using Rebel.Training.Rewards;

namespace Rebel.Training.Rollouts;

/// <summary>One sampled completion with everything the losses need.</summary>
public sealed record Rollout
{
    /// <summary>Index of the prompt within its batch (completions of one prompt share it).</summary>
    public required int Group { get; init; }

    /// <summary>The prompt record.</summary>
    public required PromptRecord Prompt { get; init; }

    /// <summary>Prompt token ids.</summary>
    public required int[] PromptIds { get; init; }

    /// <summary>Completion token ids (EOS included when produced).</summary>
    public required int[] Completion { get; init; }

    /// <summary>Decoded completion text.</summary>
    public required string Text { get; init; }

    /// <summary>ln π_t(y|x) summed over completion tokens, recorded at sampling time.</summary>
    public required float OldLogProb { get; init; }

    /// <summary>ln π_ref(y|x).</summary>
    public required float RefLogProb { get; init; }

    /// <summary>The reward function's score, for a completion without EOS replaced or lowered as <see cref="RolloutSettings.ScoreOf"/> says.</summary>
    public required float Score { get; init; }

    /// <summary>Σ_t (ln π_t − ln π_ref), the sequence-level KL estimate.</summary>
    public float Kl => OldLogProb - RefLogProb;

    /// <summary>With several rewards (<see cref="WeightedReward"/>), each one's own unweighted score, in order; empty otherwise.</summary>
    public IReadOnlyList<float> RewardParts { get; init; } = [];

    /// <summary>The KL-shaped reward score − β·KL.</summary>
    public required float Reward { get; init; }

    /// <summary>True when the completion ended with EOS.</summary>
    public required bool EndedWithEos { get; init; }
}

/// <summary>A completion before scoring: sampled from π_t, or taken from a dataset, with its π_t log-prob already known.</summary>
/// <param name="Group">Index of the prompt within its batch.</param>
/// <param name="Prompt">The prompt record.</param>
/// <param name="PromptIds">Prompt token ids.</param>
/// <param name="Completion">Completion token ids (EOS included when produced).</param>
/// <param name="EndedWithEos">True when the completion ended with EOS.</param>
/// <param name="OldLogProb">ln π_t(y|x) summed over completion tokens.</param>
public sealed record SampledCompletion(int Group, PromptRecord Prompt, int[] PromptIds, int[] Completion, bool EndedWithEos, float OldLogProb);

/// <summary>Settings for collecting rollouts.</summary>
/// <param name="CompletionsPerPrompt">Samples per prompt.</param>
/// <param name="Sampling">Decoding settings (temperature, length).</param>
/// <param name="KlCoefficient">β in r = score − β·KL.</param>
/// <param name="NoEosScore">Score given to completions without EOS in place of the reward's (the REBEL authors' convention), or null to keep it.</param>
/// <param name="MissingEosPenalty">Subtracted from the reward's score of completions without EOS (TRL's missing_eos_penalty); 0 for none.</param>
public sealed record RolloutSettings(int CompletionsPerPrompt, SamplingOptions Sampling, float KlCoefficient, float? NoEosScore, float MissingEosPenalty = 0)
{
    /// <summary>
    /// The score a completion gets from the reward's <paramref name="score"/>: unchanged when it ended with EOS; otherwise
    /// <see cref="NoEosScore"/> when set (replace), else <paramref name="score"/> − <see cref="MissingEosPenalty"/> (subtract).
    /// </summary>
    public float ScoreOf(float score, bool endedWithEos) =>
        endedWithEos ? score : NoEosScore ?? score - MissingEosPenalty;
}

/// <summary>Samples, scores and shapes rollouts for a batch of prompts.</summary>
public sealed class RolloutCollector(LanguageModel policy, LanguageModel reference, ITokenizer tokenizer, IReward reward)
{
    /// <summary>Reward queries made so far (one per scored completion).</summary>
    public long RewardQueries { get; private set; }

    /// <summary>Tokens sampled so far.</summary>
    public long SampledTokens { get; private set; }

    /// <summary>Restores the counters from a checkpoint.</summary>
    public void Restore(long rewardQueries, long sampledTokens)
    {
        RewardQueries = rewardQueries;
        SampledTokens = sampledTokens;
    }

    /// <summary>Decodes a completion, dropping a final EOS token.</summary>
    public static string DecodeCompletion(ITokenizer tokenizer, int[] tokens, bool endedWithEos) =>
        tokenizer.Decode(endedWithEos ? tokens.AsSpan(0, tokens.Length - 1) : tokens, skipSpecialTokens: true);

    /// <summary>
    /// Samples <see cref="RolloutSettings.CompletionsPerPrompt"/> completions per prompt from the policy and scores them. One draw from
    /// <paramref name="rng"/> seeds a stream per completion, keyed by its place in the iteration's global batch (<paramref name="prompts"/>
    /// start at global prompt <paramref name="firstPrompt"/>), so data-parallel ranks sampling their shares reproduce one process's samples.
    /// </summary>
    public List<Rollout> Collect(IReadOnlyList<PromptRecord> prompts, RolloutSettings settings, Rng rng, int firstPrompt = 0)
    {
        var promptIds = prompts.Select(p => p.Encode(tokenizer)).ToArray();
        var expanded = new List<int[]>();
        for (int i = 0; i < prompts.Count; i++)
            for (int j = 0; j < settings.CompletionsPerPrompt; j++) expanded.Add(promptIds[i]);
        ulong streams = rng.NextUInt64();
        long firstRow = (long)firstPrompt * settings.CompletionsPerPrompt;
        var rowRngs = Enumerable.Range(0, expanded.Count).Select(r => new Rng(streams ^ (ulong)(firstRow + r + 1) * 0xD1B54A32D192ED03UL)).ToArray();
        var generations = Sampler.Generate(policy, expanded, settings.Sampling, rowRngs);
        SampledTokens += generations.Sum(g => g.Tokens.Length);
        return Score([.. generations.Select((g, i) =>
        {
            int group = i / settings.CompletionsPerPrompt;
            return new SampledCompletion(group, prompts[group], promptIds[group], g.Tokens, g.EndedWithEos, g.LogProbs.Sum());
        })], settings);
    }

    /// <summary>Scores given completions (sampled or taken from a dataset) whose π_t log-probs are already known.</summary>
    public List<Rollout> Score(IReadOnlyList<SampledCompletion> completions, RolloutSettings settings)
    {
        int n = completions.Count;
        var texts = completions.Select(c => DecodeCompletion(tokenizer, c.Completion, c.EndedWithEos)).ToArray();
        RewardQuery[] queries = [.. completions.Select((c, i) => new RewardQuery(c.Prompt, texts[i], c.EndedWithEos))];
        float[][] parts = [];
        float[] scores;
        if (reward is WeightedReward weighted) (scores, parts) = weighted.ScoreParts(queries);
        else scores = reward.Score(queries);
        RewardQueries += n;
        if (scores.Length != n) throw new InvalidOperationException($"Reward '{reward.Name}' returned {scores.Length} scores for {n} completions.");
        var refLogProbs = LogProbs(reference, [.. completions.Select(c => c.PromptIds)], [.. completions.Select(c => c.Completion)], settings.Sampling.Temperature);
        var rollouts = new List<Rollout>(n);
        for (int i = 0; i < n; i++)
        {
            var c = completions[i];
            float score = settings.ScoreOf(scores[i], c.EndedWithEos);
            rollouts.Add(new Rollout
            {
                Group = c.Group,
                Prompt = c.Prompt,
                PromptIds = c.PromptIds,
                Completion = c.Completion,
                Text = texts[i],
                OldLogProb = c.OldLogProb,
                RefLogProb = refLogProbs[i],
                Score = score,
                RewardParts = [.. parts.Select(p => p[i])],
                Reward = score - settings.KlCoefficient * (c.OldLogProb - refLogProbs[i]),
                EndedWithEos = c.EndedWithEos,
            });
        }
        return rollouts;
    }

    /// <summary>
    /// ln model(response | prompt) per pair, without gradient, in chunks to bound memory; within a chunk, pairs with equal
    /// prompts (the completions of one prompt, which rollouts keep together) share one prefill of the prompt.
    /// </summary>
    public static float[] LogProbs(LanguageModel model, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> responses, float temperature, int chunk = 32)
    {
        var result = new float[prompts.Count];
        float t = temperature > 0 ? temperature : 1f;
        for (int start = 0; start < prompts.Count; start += chunk)
        {
            int count = Math.Min(chunk, prompts.Count - start);
            Sampler.CompletionLogProbs(model, prompts.Skip(start).Take(count).ToList(), responses.Skip(start).Take(count).ToList(), t)
                .CopyTo(result.AsSpan(start, count));
        }
        return result;
    }
}
