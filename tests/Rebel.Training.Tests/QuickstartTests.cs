using System.Text.Json.Nodes;
using Rebel.Models.Pretrained;
using Rebel.Training.Tasks;

namespace Rebel.Training.Tests;

public class QuickstartTests
{
    internal sealed class Silent : IQuickstartProgress
    {
        public List<string> Phases { get; } = [];

        public void Phase(string name, int steps) => Phases.Add(name);

        public void Step(int step, string status)
        {
        }

        public void Message(string text)
        {
        }
    }

    [Fact]
    public void HeldOutProblemsAreNeverTrainedOn()
    {
        var (train, heldOut) = ArithmeticTask.Generate(seed: 4, heldOut: 500);
        Assert.Equal(500, heldOut.Count);
        var trainQuestions = train.Select(p => p.Question).ToHashSet();
        Assert.DoesNotContain(heldOut, p => trainQuestions.Contains(p.Question));
        Assert.All(heldOut.Concat(train), p => Assert.Matches(@"^ \d+$", p.Completion));
        var (train2, heldOut2) = ArithmeticTask.Generate(seed: 4, heldOut: 500);
        Assert.Equal(heldOut.Select(p => p.Prompt), heldOut2.Select(p => p.Prompt));
        Assert.Equal(train.Count, train2.Count);
    }

    [Fact]
    public void ShortRunWritesEveryOutput()
    {
        var dir = Directory.CreateTempSubdirectory("rebel-qs").FullName;
        try
        {
            var d = new QuickstartOptions();
            var o = d with
            {
                HeldOut = 40, Validation = 20, ValidateEvery = 10,
                Sft = d.Sft with { Steps = 20 },
                Rebel = d.Rebel with { Iterations = 2, PromptsPerIteration = 8, CompletionsPerPrompt = 4, CheckpointEvery = 1 },
            };
            var progress = new Silent();
            var summary = Quickstart.Run(new ArithmeticTaskSetup(o), dir, progress);
            Assert.Contains("sft", progress.Phases);
            Assert.Contains("rebel", progress.Phases);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!.AsObject();
            foreach (var key in new[] { "sft_accuracy", "rebel_accuracy", "kl", "seconds" }) Assert.True(json.ContainsKey(key), key);
            Assert.Equal(summary.RebelHeldOut, json["rebel_accuracy"]!.GetValue<double>());
            Assert.InRange(summary.SftHeldOut, 0, 1);
            Assert.Null(summary.RebelLearned);
            Assert.Equal(2, File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Length);
            Assert.Contains("<svg", File.ReadAllText(Path.Combine(dir, "report.html")));
            foreach (var model in new[] { "sft", "rebel", Path.Combine("checkpoint", "policy") })
            {
                var loaded = HfModelLoader.Load(Path.Combine(dir, model));
                Assert.Equal(summary.Parameters, loaded.ParameterCount);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
