using System.Text.Json.Nodes;
using Rebel.Training.Data;
using Rebel.Training.Rewards;
using Rebel.Training.Tasks;

namespace Rebel.Training.Tests;

public class RlhfTaskTests
{
    [Fact]
    public void GoldScorerHasDiminishingPraiseAndPenalties()
    {
        double One(int positives) => 2 * (1 - Math.Exp(-positives / 2.0));
        Assert.Equal(One(1), GoldReviewScorer.Gold(" The lamp is great."), 5);
        Assert.Equal(One(2), GoldReviewScorer.Gold(" It is great and lovely."), 5);
        Assert.True(One(2) - One(1) < One(1), "each further positive word is worth less");
        Assert.Equal(One(1) - 0.5, GoldReviewScorer.Gold(" It is great and great."), 5);
        Assert.Equal(One(1) - 1, GoldReviewScorer.Gold(" It is great and bad."), 5);
        Assert.Equal(0, GoldReviewScorer.Gold(" A red desk."), 5);
        // 15 words, 3 over the limit of 12: the length penalty is 3/4 on top of praise for three distinct positives.
        Assert.Equal(One(3) - 0.75, GoldReviewScorer.Gold(" The desk is great. I found it nice. Very solid. A plain desk. The desk"), 5);
        var prompt = new PromptRecord("Review of the lamp:", new JsonObject(), "t");
        Assert.Equal([-1f], new GoldReviewScorer().Score([new RewardQuery(prompt, " The lamp is great.", EndedWithEos: false)]));
    }

    [Fact]
    public void PromptsAreSplitAndSupervisedReviewsUseOnlyTrainingPrompts()
    {
        var (train, heldOut, sft) = ReviewTask.Generate(seed: 5, heldOut: 6, examples: 300);
        Assert.Equal(6, heldOut.Count);
        Assert.Equal(24, train.Count);
        var trainPrompts = train.Select(p => p.Prompt).ToHashSet();
        Assert.DoesNotContain(heldOut, p => trainPrompts.Contains(p.Prompt));
        Assert.All(sft, e => Assert.Contains(e.Prompt, trainPrompts));
        var golds = sft.Select(e => GoldReviewScorer.Gold(e.Completion)).ToList();
        Assert.True(golds.Min() < 0 && golds.Max() > 1, "supervised reviews span bad to good");
        // RL scores a cut-off review as the gold scorer does (−1), so piling praise to the length limit does not pay.
        Assert.Equal(-1f, new ReviewTaskOptions().Rebel.NoEosScore);
    }

    [Fact]
    public void TinyRlhfRunLogsLearnedAndGoldRewards()
    {
        var dir = Directory.CreateTempSubdirectory("rebel-rlhf").FullName;
        try
        {
            var d = new ReviewTaskOptions();
            var task = new ReviewTaskSetup(d with
            {
                SftExamples = 200, Sft = d.Sft with { Steps = 10 }, Pairs = 60, RewardModel = d.RewardModel with { Epochs = 1, BatchSize = 16 },
                Rebel = d.Rebel with { Iterations = 2, PromptsPerIteration = 4, CompletionsPerPrompt = 2, MaxNewTokens = 12 },
            });
            var progress = new QuickstartTests.Silent();
            var summary = Quickstart.Run(task, dir, progress);
            Assert.Contains("reward", progress.Phases);
            Assert.NotNull(summary.RebelLearned);
            var rows = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
            Assert.Equal(2, rows.Count);
            Assert.All(rows, r =>
            {
                Assert.True(double.IsFinite(r["objective/scores"]!.GetValue<double>()), "learned reward missing");
                Assert.True(double.IsFinite(r["objective/gold_scores"]!.GetValue<double>()), "gold reward missing");
            });
            Assert.Equal(16.0, rows[^1]["reward_queries"]!.GetValue<double>());
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!.AsObject();
            foreach (var key in new[] { "sft_gold_reward", "rebel_gold_reward", "sft_learned_reward", "rebel_learned_reward", "rm_held_out_accuracy" })
                Assert.True(json.ContainsKey(key), key);
            Assert.InRange(json["rm_held_out_accuracy"]!.GetValue<double>(), 0, 1);
            Assert.Contains("objective/gold_scores", File.ReadAllText(Path.Combine(dir, "report.html")));
            Assert.Equal(60, PreferenceDataset.Load(Path.Combine(dir, "pairs.jsonl")).Count);
            var learned = new RewardModelReward(ReviewTaskSetup.RewardDirectory(dir));
            Assert.Single(learned.Score([new RewardQuery(new PromptRecord("Review of the lamp:", new JsonObject(), "t"), " The lamp is great.", true)]));

            // held-out figures: 16 sampled reviews per prompt, the same draws on every call, both rewards on the same completions
            var env = task.Load(dir);
            var (first, firstLearned) = env.Evaluate();
            var (again, againLearned) = env.Evaluate();
            Assert.Equal(env.HeldOut.Count * 16, first.Samples.Count);
            Assert.Equal(first.Samples, again.Samples);
            Assert.Equal(firstLearned, againLearned);
            var gold = first.Samples.Select((x, i) => first.EndedWithEos[i] ? GoldReviewScorer.Gold(x.Completion) : -1f).Average(x => (double)x);
            Assert.Equal(gold, first.MeanScore, 5);
            var queries = first.Samples.Select((x, i) => new RewardQuery(env.HeldOut[i / 16], x.Completion, first.EndedWithEos[i])).ToList();
            Assert.Equal(env.Reward.Score(queries).Average(x => (double)x), firstLearned!.Value, 5);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    // Counts its calls; scores 1 per completion.
    private sealed class Probe : IReward
    {
        public int Scored { get; private set; }

        public string Name => "probe";

        public float[] Score(IReadOnlyList<RewardQuery> queries)
        {
            Scored += queries.Count;
            return [.. queries.Select(_ => 1f)];
        }
    }

    [Theory]
    [InlineData("rebel")]
    [InlineData("rloo")]
    public void EvaluationRewardsAreLoggedButNeitherCountedNorTrainedOn(string algorithm)
    {
        var tok = TinySetup.Tokenizer();
        LanguagePolicyTrainer Create(Models.LanguageModel model) => algorithm == "rebel"
            ? new RebelTrainer(model, tok, TinySetup.Prompts(8), new TinySetup.LetterReward(),
                new RebelOptions { Iterations = 3, PromptsPerIteration = 4, CompletionsPerPrompt = 2, MaxNewTokens = 6, Temperature = 1f, LearningRate = 1e-3f, Seed = 2 })
            : new RlooTrainer(model, tok, TinySetup.Prompts(8), new TinySetup.LetterReward(),
                new RlooOptions { Iterations = 3, PromptsPerIteration = 4, CompletionsPerPrompt = 2, MaxNewTokens = 6, Temperature = 1f, LearningRate = 1e-3f, Seed = 2 });
        var (plain, probed) = (TinySetup.Model(tok), TinySetup.Model(tok));
        var a = Create(plain);
        a.Train();
        var probe = new Probe();
        var b = Create(probed);
        b.EvaluationRewards = new Dictionary<string, IReward> { ["probe"] = probe };
        b.Train();
        Assert.Equal(3 * 4 * 2, probe.Scored);
        Assert.All(b.Metrics.Rows, r => Assert.Equal(1.0, r["objective/probe_scores"]));
        Assert.All(a.Metrics.Rows, r => Assert.False(r.ContainsKey("objective/probe_scores")));
        Assert.Equal(a.Metrics.Rows[^1]["reward_queries"], b.Metrics.Rows[^1]["reward_queries"]);
        foreach (var (name, p) in plain.NamedParameters)
            Assert.True(p.Span.SequenceEqual(probed.NamedParameters[name].Span), $"parameter {name} differs with an evaluation reward");
    }
}
