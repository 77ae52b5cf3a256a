// The rlhf task's starting point, the paper's RLHF pipeline in miniature: a supervised review writer trained from scratch,
// pairs of its samples labelled by the hidden gold scorer (Bradley–Terry: the first wins with probability σ(gold − gold')),
// and a reward model learned from those labels with RewardModelTrainer (what `rebel reward` runs). RL then optimises the
// learned reward while the gold score is logged beside it, so over-optimisation is visible.
using System.Text.Json.Nodes;
using Rebel.Models;
using Rebel.Models.Pretrained;
using Rebel.Models.Sampling;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Training.Data;
using Rebel.Training.Rewards;
using Rebel.Training.Rollouts;

namespace Rebel.Training.Tasks;

/// <summary>The review task (<see cref="ReviewTask"/>) with a learned reward model and the gold scorer.</summary>
public sealed class ReviewTaskSetup(ReviewTaskOptions options) : IBuiltInTask
{
    /// <summary>The settings in force.</summary>
    public ReviewTaskOptions Options { get; } = options;

    /// <inheritdoc/>
    public string Name => "rlhf";

    /// <inheritdoc/>
    public string HeldOutMetric => "gold_reward";

    /// <inheritdoc/>
    public ulong Seed => Options.Seed;

    /// <inheritdoc/>
    public RebelOptions Rebel => Options.Rebel;

    /// <summary>The reward model's folder inside a prepared task folder.</summary>
    public static string RewardDirectory(string directory) => Path.Combine(directory, "reward");

    /// <inheritdoc/>
    public TaskEnvironment Prepare(string directory, IQuickstartProgress progress, CancellationToken cancel = default)
    {
        var o = Options;
        Directory.CreateDirectory(directory);
        var (train, heldOut, examples) = ReviewTask.Generate(o.Seed, o.HeldOut, o.SftExamples);
        progress.Message($"Task: {train.Count} training and {heldOut.Count} held-out review prompts, {examples.Count} supervised reviews (seed {o.Seed}).");
        var (tokenizer, model) = BuiltInTasks.FromScratch(examples.Select(e => e.Prompt + e.Completion), o.VocabSize, o.Preset, 64, o.Seed, progress, device: o.Device);
        progress.Phase("sft", o.Sft.Steps);
        var sft = new SftTrainer(model, tokenizer, examples, o.Sft with { Seed = o.Seed }) { StepCompleted = (step, loss) => progress.Step(step, $"loss {loss:F3}") };
        sft.Train(cancel);

        var pairs = LabelledPairs(model, tokenizer, train, new Rng(o.Seed + 1000));
        WritePairs(pairs, Path.Combine(directory, "pairs.jsonl"));
        var rewardModel = model.CloneModel();
        var head = new ValueHead(model.Config.HiddenSize);
        head.Initialize(new Rng(o.Seed));
        var rm = new RewardModelTrainer(rewardModel, head, tokenizer, pairs, o.RewardModel with { Seed = o.Seed });
        progress.Phase("reward", rm.StepsPerEpoch * o.RewardModel.Epochs);
        rm.StepCompleted = s => progress.Step(s.Step, $"loss {s.Loss:F3}");
        double accuracy = rm.Train(cancel);
        progress.Message($"Reward model: held-out pairwise accuracy {accuracy:P1} on {rm.HeldOutCount} gold-labelled pairs.");
        HfModelSaver.Save(rewardModel, RewardDirectory(directory), valueHead: head, tokenizer: tokenizer);

        var facts = new Dictionary<string, double> { ["sft_steps"] = sft.StepsTaken, ["pairs"] = pairs.Count, ["rm_held_out_accuracy"] = accuracy };
        BuiltInTasks.SaveStart(directory, model, tokenizer, facts);
        return Environment(model, tokenizer, train, heldOut, new RewardModelReward(RewardDirectory(directory), tokenizer), facts);
    }

    /// <inheritdoc/>
    public TaskEnvironment Load(string directory)
    {
        var (model, tokenizer, facts) = BuiltInTasks.LoadStart(directory, Options.Device);
        var (train, heldOut, _) = ReviewTask.Generate(Options.Seed, Options.HeldOut, 0);
        return Environment(model, tokenizer, train, heldOut, new RewardModelReward(RewardDirectory(directory), tokenizer), facts);
    }

    private TaskEnvironment Environment(LanguageModel model, BpeTokenizer tokenizer, List<PromptRecord> train, List<PromptRecord> heldOut,
        IReward learned, IReadOnlyDictionary<string, double> facts)
    {
        var gold = new GoldReviewScorer();
        return new TaskEnvironment(model, tokenizer, train, heldOut, learned, gold, new Dictionary<string, IReward> { ["gold"] = gold }, Options.Rebel.MaxNewTokens, facts)
        {
            EvaluationSamples = Options.EvaluationSamples, EvaluationTemperature = Options.Rebel.Temperature,
        };
    }

    /// <summary>
    /// <see cref="ReviewTaskOptions.Pairs"/> pairs of two samples (temperature 1) of the supervised model for random training prompts;
    /// the first is chosen with probability σ(gold(first) − gold(second)).
    /// </summary>
    private List<PreferencePair> LabelledPairs(LanguageModel model, BpeTokenizer tokenizer, List<PromptRecord> train, Rng rng)
    {
        var gold = new GoldReviewScorer();
        var sampling = new SamplingOptions { Temperature = 1f, MaxNewTokens = Options.Rebel.MaxNewTokens, EosTokenIds = model.Config.EosTokenIds };
        var pairs = new List<PreferencePair>(Options.Pairs);
        const int batch = 64;
        while (pairs.Count < Options.Pairs)
        {
            var prompts = Enumerable.Range(0, Math.Min(batch, Options.Pairs - pairs.Count)).Select(_ => train[rng.NextInt(train.Count)]).ToList();
            var ids = prompts.SelectMany(p => new[] { p.Encode(tokenizer), p.Encode(tokenizer) }).ToList();
            var gens = Sampler.Generate(model, ids, sampling, rng);
            var queries = gens.Select((g, i) => new RewardQuery(prompts[i / 2], RolloutCollector.DecodeCompletion(tokenizer, g.Tokens, g.EndedWithEos), g.EndedWithEos)).ToList();
            var scores = gold.Score(queries);
            for (int i = 0; i < prompts.Count; i++)
            {
                var (a, b) = (queries[2 * i].Completion, queries[2 * i + 1].Completion);
                bool firstWins = rng.NextDouble() < 1 / (1 + Math.Exp(scores[2 * i + 1] - scores[2 * i]));
                pairs.Add(new PreferencePair(prompts[i], firstWins ? a : b, firstWins ? b : a));
            }
        }
        return pairs;
    }

    private static void WritePairs(List<PreferencePair> pairs, string path)
    {
        var lines = pairs.Select(p => new JsonObject { ["prompt"] = p.Prompt.Prompt, ["chosen"] = p.Chosen, ["rejected"] = p.Rejected }.ToJsonString());
        Models.IO.AtomicFile.WriteText(path, string.Join('\n', lines) + "\n");
    }
}
