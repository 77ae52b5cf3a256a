using System.Text.Json.Nodes;
using Rebel.Training.Compare;

namespace Rebel.Training.Tests;

[Collection("Console")]
public class CompareCliTests
{
    private static readonly string[] Fields = ["final_reward", "held_out_accuracy", "kl", "seconds_per_iteration", "peak_memory_mb", "peak_tensor_mb", "reward_queries"];

    [Fact]
    public void SpreadIsMeanAndSampleStandardDeviation()
    {
        Assert.Equal(new Spread(2, 1), Spread.Of([1, 2, 3]));
        Assert.Equal(new Spread(5, null), Spread.Of([5]));
        Assert.Equal("5.00", Spread.Of([5]).Format("F2"));
        Assert.Equal("50.0 % ± 70.7", Spread.Of([0, 1]).Format("F1", 100, " %"));
        Assert.Equal("0.50 ± 0.71", Spread.Of([0, 1]).Format("F2"));
    }

    [Fact]
    public void RebelSpendsTheSameQueriesOnMorePromptsWithAllPairs()
    {
        var budget = new RebelOptions { PromptsPerIteration = 32, CompletionsPerPrompt = 8, Pairing = PairingMode.BestWorst };
        var r = new CompareOptions().RebelAllocation(budget);
        Assert.Equal((64, 4, PairingMode.AllPairs), (r.PromptsPerIteration, r.CompletionsPerPrompt, r.Pairing));
        Assert.Equal(budget, new CompareOptions { RebelCompletionsPerPrompt = null }.RebelAllocation(budget));
        Assert.Throws<ArgumentException>(() => new CompareOptions { RebelCompletionsPerPrompt = 3 }.RebelAllocation(budget));
        Assert.Throws<ArgumentException>(() => new CompareOptions { RebelCompletionsPerPrompt = 1 }.Validate());
    }

    [Fact]
    public void UnknownAlgorithmsAndTasksAreRejectedBeforeAnyWork()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"rebel-compare-{Guid.NewGuid():N}");
        var (code, _, err) = CliHarness.Run("compare", "--algos", "rebel,sac", "--out", dir);
        Assert.Equal(1, code);
        Assert.Contains("unknown algorithm 'sac'", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
        (code, _, _) = CliHarness.Run("compare", "--task", "chess", "--out", dir);
        Assert.Equal(1, code);
    }

    [Fact]
    public void TheTuningSeedMustNotBeAReportedSeed()
    {
        Assert.Throws<ArgumentException>(() => new CompareOptions { Tune = true, Seeds = 3, TuningSeed = 2 }.Validate());
        new CompareOptions { Tune = true, Seeds = 3, TuningSeed = 4 }.Validate();
        // 3 learning rates × (7 algorithms + REBEL's second allocation)
        Assert.Equal(3 * (Algorithms.Names.Count + 1), new CompareOptions { Tune = true }.TuningRuns);
    }

    [Fact]
    public void TuneChoosesPerAlgorithmOnTheTuningSeedAndReportsIt()
    {
        var dir = Directory.CreateTempSubdirectory("rebel-compare-tune").FullName;
        try
        {
            string[] args = ["compare", "--task", "arithmetic", "--algos", "rebel", "--seeds", "1", "--out", dir, "--iterations", "2",
                "--prompts-per-iteration", "4", "--completions-per-prompt", "2", "--sft-steps", "20", "--held-out", "20", "--tune", "--tuning-seed", "7",
                "--tune-lr-factors", "1,3", "--tune-rebel-completions", "2,4"];
            var (code, output, err) = CliHarness.Run(args);
            Assert.True(code == 0, err);
            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!.AsObject();
            var tuning = summary["tuning"]!.AsObject();
            Assert.Equal(7ul, tuning["seed"]!.GetValue<ulong>());
            var candidates = tuning["candidates"]!.AsArray().Select(c => c!.AsObject()).ToList();
            Assert.Equal(2 * 2, candidates.Count); // 2 learning rates × 2 allocations
            Assert.Equal([3e-4, 9e-4], candidates.Select(c => c["learning_rate"]!.GetValue<double>()).Distinct().Order().Select(x => Math.Round(x, 6)));
            Assert.True(Directory.Exists(Path.Combine(dir, "setup", "seed7")), "the sweep runs on its own seed's starting point");
            var chosen = Assert.Single(candidates, c => c["chosen"]!.GetValue<bool>());
            Assert.Equal(candidates.Max(c => c["held_out"]!.GetValue<double>()), chosen["held_out"]!.GetValue<double>());
            Assert.Equal(chosen["learning_rate"]!.GetValue<double>(), summary["algorithms"]!["rebel"]!["learning_rate"]!.GetValue<double>(), 6);
            Assert.Equal(chosen["rebel_completions_per_prompt"]!.GetValue<int>(), summary["budget"]!["rebel_completions_per_prompt"]!.GetValue<int>());
            Assert.Contains("tuning seed 7", output, StringComparison.Ordinal);
            Assert.Contains("(chosen)", File.ReadAllText(Path.Combine(dir, "report.html")), StringComparison.Ordinal);

            (code, _, err) = CliHarness.Run(args); // resumes: every sweep run and reported run is kept
            Assert.True(code == 0, err);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void ComparisonOnAUsersModelPromptsAndReward()
    {
        using var tiny = new TinyModelFolder();
        var dir = Directory.CreateTempSubdirectory("rebel-compare-user").FullName;
        try
        {
            var (code, _, err) = CliHarness.Run("compare", "--prompts", tiny.Prompts, "--reward", "length", "--out", dir);
            Assert.Equal(1, code);
            Assert.Contains("need --model DIR", err, StringComparison.Ordinal);
            (code, _, err) = CliHarness.Run("compare", "--model", tiny.ModelDir, "--prompts", tiny.Prompts, "--out", dir);
            Assert.Equal(1, code);
            Assert.Contains("needs --reward", err, StringComparison.Ordinal);

            string[] args = ["compare", "--model", tiny.ModelDir, "--prompts", tiny.Prompts, "--reward", "length", "--algos", "rebel,grpo", "--seeds", "1",
                "--out", dir, "--iterations", "2", "--prompts-per-iteration", "4", "--completions-per-prompt", "2"];
            (code, _, err) = CliHarness.Run(args);
            Assert.True(code == 0, err);
            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!.AsObject();
            Assert.Equal("user", summary["task"]!.GetValue<string>());
            Assert.Equal("reward", summary["held_out_metric"]!.GetValue<string>());
            Assert.InRange(summary["start"]!["held_out_reward"]!["mean"]!.GetValue<double>(), 0, 1); // length reward of the held-out prompt (the last of six)
            foreach (var algo in new[] { "rebel", "grpo" })
                Assert.Equal(16, summary["algorithms"]![algo]!["reward_queries"]!["mean"]!.GetValue<double>());
            var setup = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "setup", "seed1", "setup.json")))!;
            Assert.Equal((5.0, 1.0), (setup["train_prompts"]!.GetValue<double>(), setup["held_out_prompts"]!.GetValue<double>()));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void TinyComparisonWritesEveryFigureWithEqualRewardQueriesAndResumes()
    {
        var dir = Directory.CreateTempSubdirectory("rebel-compare").FullName;
        try
        {
            string[] args = ["compare", "--task", "arithmetic", "--algos", "rebel,ppo,apo", "--seeds", "1", "--out", dir, "--iterations", "2",
                "--prompts-per-iteration", "4", "--completions-per-prompt", "2", "--sft-steps", "20", "--held-out", "20"];
            var (code, output, err) = CliHarness.Run(args);
            Assert.True(code == 0, err);
            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!.AsObject();
            Assert.Equal(16, summary["budget"]!["reward_queries"]!.GetValue<long>());
            Assert.InRange(summary["start"]!["held_out_accuracy"]!["mean"]!.GetValue<double>(), 0, 1);
            var algorithms = summary["algorithms"]!.AsObject();
            Assert.Equal(["rebel", "ppo", "apo"], algorithms.Select(a => a.Key));
            foreach (var (name, node) in algorithms)
            {
                foreach (var field in Fields)
                {
                    Assert.True(double.IsFinite(node![field]!["mean"]!.GetValue<double>()), $"{name} {field} mean");
                    Assert.Null(node[field]!["std"]); // one seed: no spread
                }
                // A*-PO: the same 8 queries per iteration as 8 prompts × 1, plus stage 1 (8 samples of each of the 16 prompts the run draws).
                Assert.Equal(name == "apo" ? 16.0 + 16 * 8 : 16.0, node!["reward_queries"]!["mean"]!.GetValue<double>());
                double tensors = node["peak_tensor_mb"]!["mean"]!.GetValue<double>();
                Assert.InRange(tensors, 1e-3, node["peak_memory_mb"]!["mean"]!.GetValue<double>());
                Assert.InRange(node["held_out_accuracy"]!["mean"]!.GetValue<double>(), 0, 1);
                Assert.Equal(2, File.ReadAllLines(Path.Combine(dir, "runs", name, "seed1", "metrics.jsonl")).Length);
            }
            double Tensors(string algorithm) => algorithms[algorithm]!["peak_tensor_mb"]!["mean"]!.GetValue<double>();
            Assert.True(Tensors("ppo") > Tensors("rebel"), "PPO holds a critic and its optimizer state besides what REBEL holds");
            Assert.Contains("ppo", output, StringComparison.Ordinal);
            Assert.Contains("peak memory MB", output, StringComparison.Ordinal);
            Assert.Contains("peak tensor MB", output, StringComparison.Ordinal);
            Assert.DoesNotContain("±", output, StringComparison.Ordinal);
            Assert.Contains("one seed: no spread shown", output, StringComparison.Ordinal);
            // REBEL: 8 queries as 2 prompts × 4 = one group per step, 2 epochs; PPO: 8 completions in one minibatch of 32, 4 epochs.
            Assert.Equal(2.0, algorithms["rebel"]!["optimizer_steps_per_iteration"]!.GetValue<double>());
            Assert.Equal(4.0, algorithms["ppo"]!["optimizer_steps_per_iteration"]!.GetValue<double>());
            Assert.Equal(3e-4, algorithms["ppo"]!["learning_rate"]!.GetValue<double>(), 6);
            Assert.Equal(1.0, algorithms["apo"]!["optimizer_steps_per_iteration"]!.GetValue<double>()); // 8 prompts × 1 completion in one minibatch, 1 epoch
            Assert.Contains("REBEL: 2 prompts × 4 completions per iteration, all pairs", output, StringComparison.Ordinal);
            Assert.Equal(4, summary["budget"]!["rebel_completions_per_prompt"]!.GetValue<int>());
            var report = File.ReadAllText(Path.Combine(dir, "report.html"));
            Assert.Contains("<polyline", report, StringComparison.Ordinal);
            Assert.Contains("reward queries", report, StringComparison.Ordinal);

            string result = Path.Combine(dir, "runs", "ppo", "seed1", "result.json");
            var written = File.GetLastWriteTimeUtc(result);
            (code, _, err) = CliHarness.Run(args);
            Assert.True(code == 0, err);
            Assert.Equal(written, File.GetLastWriteTimeUtc(result));

            (code, _, err) = CliHarness.Run([.. args.Select(a => a == "2" ? "3" : a)]);
            Assert.Equal(1, code);
            Assert.Contains("another task, budget, REBEL allocation or learning rates", err, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
