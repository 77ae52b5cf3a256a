// Held-out evaluation: decode each prompt (greedy by default) and score the completions with a reward.
using Rebel.Models;
using Rebel.Models.Sampling;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Training.Data;
using Rebel.Training.Rewards;
using Rebel.Training.Rollouts;

namespace Rebel.Training;

/// <summary>Result of an evaluation pass.</summary>
/// <param name="MeanScore">Mean reward over the prompts (accuracy for 0/1 rewards).</param>
/// <param name="Samples">Prompt, completion and score of each prompt.</param>
public sealed record EvaluationResult(double MeanScore, IReadOnlyList<(string Prompt, string Completion, float Score)> Samples)
{
    /// <summary>Whether each sample's completion ended with EOS (same order as <see cref="Samples"/>), so another reward can score the same completions.</summary>
    public IReadOnlyList<bool> EndedWithEos { get; init; } = [];
}

/// <summary>Scores a model's completions on a set of prompts.</summary>
public static class Evaluation
{
    /// <summary>
    /// Decodes every prompt in batches of <paramref name="batchSize"/> with <paramref name="sampling"/> (temperature 0 = greedy);
    /// <paramref name="cancel"/> stops it between batches with OperationCanceledException.
    /// </summary>
    public static EvaluationResult Run(LanguageModel model, ITokenizer tokenizer, IReadOnlyList<PromptRecord> prompts, IReward reward,
        SamplingOptions sampling, ulong seed = 1, int batchSize = 64, CancellationToken cancel = default)
    {
        var rng = new Rng(seed);
        var samples = new List<(string, string, float)>(prompts.Count);
        var ended = new List<bool>(prompts.Count);
        double total = 0;
        for (int start = 0; start < prompts.Count; start += batchSize)
        {
            cancel.ThrowIfCancellationRequested();
            var batch = prompts.Skip(start).Take(batchSize).ToList();
            var ids = batch.Select(p => p.Encode(tokenizer)).ToList();
            var gens = Sampler.Generate(model, ids, sampling, rng);
            var queries = new List<RewardQuery>(batch.Count);
            for (int i = 0; i < batch.Count; i++)
            {
                var g = gens[i];
                var text = RolloutCollector.DecodeCompletion(tokenizer, g.Tokens, g.EndedWithEos);
                queries.Add(new RewardQuery(batch[i], text, g.EndedWithEos));
                ended.Add(g.EndedWithEos);
            }
            var scores = reward.Score(queries);
            for (int i = 0; i < batch.Count; i++)
            {
                samples.Add((batch[i].Prompt, queries[i].Completion, scores[i]));
                total += scores[i];
            }
        }
        return new EvaluationResult(total / Math.Max(prompts.Count, 1), samples) { EndedWithEos = ended };
    }
}
