using System.Text.Json.Nodes;
using Rebel.Models.Tokenization;
using Rebel.Training.Data;
using Rebel.Training.Reporting;
using Rebel.Training.Rewards;

namespace Rebel.Training.Tests;

[Collection("Console")]
public sealed class SftRewardCliTests(TinyModelFolder tiny) : IClassFixture<TinyModelFolder>
{
    private static List<JsonObject> Metrics(string outDir) =>
        [.. File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject())];

    [Fact]
    public void SftLowersTheLossAndWritesModelMetricsAndReport()
    {
        string data = tiny.PathOf("sft.jsonl"), outDir = tiny.PathOf("sft-out");
        File.WriteAllLines(data, Enumerable.Range(0, 8).Select(i => $"{{\"prompt\": \"say {i % 4} letters:\", \"completion\": \" {new string('a', 1 + i % 4)}\"}}"));
        var (code, _, err) = CliHarness.Run("sft", "--model", tiny.ModelDir, "--data", data, "--out", outDir,
            "--steps", "30", "--batch-size", "4", "--lr", "3e-3", "--warmup-steps", "2", "--seed", "5");
        Assert.True(code == 0, err);
        var rows = Metrics(outDir);
        Assert.Equal(30, rows.Count);
        Assert.Equal([1, 2, 3], rows.Take(3).Select(r => r["step"]!.GetValue<int>()));
        Assert.All(rows, r => Assert.True(r["lr"]!.GetValue<double>() >= 0));
        double first = rows.Take(3).Average(r => r["loss"]!.GetValue<double>()), last = rows.TakeLast(3).Average(r => r["loss"]!.GetValue<double>());
        Assert.True(last < 0.7 * first, $"loss {first:F3} → {last:F3}");
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(outDir, "report.html")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(outDir, "model", "config.json")));
        Assert.Contains(("steps", "30"), Hyperparameters.Read(outDir)); // the run's options beside its curves
        var (scoreCode, _, scoreErr) = CliHarness.Run("score", "--model", Path.Combine(outDir, "model"), "--text", "say 1 letters: aa");
        Assert.True(scoreCode == 0, scoreErr);
    }

    [Theory]
    [InlineData("sft", "--data", "{\"prompt\": \"p\"}")]
    [InlineData("sft", "--data", "{\"prompt\": \"p\", \"completion\": ")]
    [InlineData("reward", "--pairs", "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": 3}")]
    public void BadLinesAreReportedWithFileAndLine(string command, string flag, string badLine)
    {
        string path = tiny.PathOf($"bad-{command}-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, ["{\"prompt\": \"p\", \"completion\": \"c\", \"chosen\": \"a\", \"rejected\": \"b\"}", badLine]);
        var (code, _, err) = CliHarness.Run(command, "--model", tiny.ModelDir, flag, path, "--out", tiny.PathOf("bad-out"));
        Assert.Equal(1, code);
        Assert.Contains($"{path}:2", err, StringComparison.Ordinal);
    }

    [Fact]
    public void SftMessagesUseTheLastAssistantMessageAsCompletion()
    {
        const string line = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"one\"}, {\"role\": \"user\", \"content\": \"again\"}, {\"role\": \"assistant\", \"content\": \"two\"}]}";
        var template = ChatTemplate.ChatMl;
        var example = SftDataset.Parse(line, "f:1", template);
        string prompt = template.Render([new("user", "hi"), new("assistant", "one"), new("user", "again")], addGenerationPrompt: true);
        Assert.Equal(new SftExample(prompt, "two<|im_end|>\n", IsChat: true), example);
        var e = Assert.Throws<InvalidDataException>(() => SftDataset.Parse("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "f:7", template));
        Assert.StartsWith("f:7:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RewardCommandTrainsAFolderThatLoadsAsRmAndPref()
    {
        string pairs = tiny.PathOf("pairs.jsonl"), outDir = tiny.PathOf("reward-out");
        File.WriteAllLines(pairs, RewardModelTrainerTests.PairLines(40, seed: 3));
        var (code, output, err) = CliHarness.Run("reward", "--model", tiny.ModelDir, "--pairs", pairs, "--out", outDir,
            "--epochs", "1", "--lr", "1e-3", "--batch-size", "8", "--held-out", "0.25", "--seed", "2");
        Assert.True(code == 0, err);
        Assert.Contains("held-out pairwise accuracy", output, StringComparison.Ordinal);
        var rows = Metrics(outDir);
        Assert.Equal(4, rows.Count); // 30 training pairs / 8 per step
        Assert.NotNull(rows[^1]["held_out_accuracy"]);
        Assert.True(File.Exists(Path.Combine(outDir, "report.html")));
        Assert.Contains(("epochs", "1"), Hyperparameters.Read(outDir));
        using var rm = RewardSpec.Parse($"rm:{Path.Combine(outDir, "model")}");
        using var pref = RewardSpec.Parse($"pref:{Path.Combine(outDir, "model")}");
        Assert.NotNull(rm.Reward);
        Assert.NotNull(pref.Preference);
    }
}
