using System.Text.Json.Nodes;

namespace Rebel.Training.Tests;

public sealed class BaselineCliTests(TinyModelFolder tiny) : IClassFixture<TinyModelFolder>
{
    [Theory]
    [InlineData("ppo")]
    [InlineData("rloo")]
    [InlineData("reinforce")]
    [InlineData("grpo")]
    [InlineData("online-dpo")]
    public void TrainWithAlgoWritesMetricsAndPolicy(string algo)
    {
        string outDir = tiny.PathOf($"train-{algo}");
        var (code, _, err) = CliHarness.Run("train", "--algo", algo, "--model", tiny.ModelDir, "--prompts", tiny.Prompts, "--reward", "length",
            "--out", outDir, "--iterations", "2", "--prompts-per-iteration", "2", "--completions-per-prompt", "2", "--max-new-tokens", "4",
            "--minibatch-size", "2", "--lr", "1e-3");
        Assert.True(code == 0, err);
        var rows = File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal([1.0, 2.0], rows.Select(r => r["iteration"]!.GetValue<double>()));
        Assert.True(File.Exists(Path.Combine(outDir, "model", "config.json")));
        Assert.Contains(algo, File.ReadAllText(Path.Combine(outDir, "checkpoint", "trainer_state.json")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ppo", "--eta", "2")]
    [InlineData("rebel", "--clip-range", "0.1")]
    public void FlagsOfAnotherAlgorithmAreRejected(string algo, string flag, string value)
    {
        var (code, _, err) = CliHarness.Run("train", "--algo", algo, "--model", tiny.ModelDir, "--prompts", tiny.Prompts, "--reward", "length",
            "--out", tiny.PathOf("misplaced"), flag, value);
        Assert.NotEqual(0, code);
        Assert.Contains(flag, err, StringComparison.Ordinal);
    }

    [Fact]
    public void DpoTrainsOnPairs()
    {
        string pairs = tiny.PathOf("pairs.jsonl");
        File.WriteAllLines(pairs, Enumerable.Range(0, 4).Select(i => $"{{\"prompt\": \"say {i} letters:\", \"chosen\": \" abab\", \"rejected\": \" cdcd\"}}"));
        string outDir = tiny.PathOf("dpo-run");
        var (code, _, err) = CliHarness.Run("dpo", "--model", tiny.ModelDir, "--pairs", pairs, "--out", outDir, "--batch-pairs", "2", "--epochs", "2", "--lr", "1e-3");
        Assert.True(code == 0, err);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Length);
        Assert.True(File.Exists(Path.Combine(outDir, "model", "config.json")));
    }

    [Fact]
    public void DpoAndSftReadTrlFormatsFromJsonArrays()
    {
        // Implicit-prompt preference pairs and language-modelling text, each as a .json array.
        string pairs = tiny.PathOf("implicit.json"), text = tiny.PathOf("text.json");
        File.WriteAllText(pairs, "[" + string.Join(",\n", Enumerable.Range(0, 4).Select(i => $"{{\"chosen\": \"say {i} letters: abab\", \"rejected\": \"say {i} letters: cdcd\"}}")) + "]");
        File.WriteAllText(text, "[" + string.Join(",\n", Enumerable.Range(0, 4).Select(i => $"{{\"text\": \"say {i} letters: abab\"}}")) + "]");
        var (code, _, err) = CliHarness.Run("dpo", "--model", tiny.ModelDir, "--pairs", pairs, "--out", tiny.PathOf("dpo-implicit"), "--batch-pairs", "2", "--epochs", "1");
        Assert.True(code == 0, err);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(tiny.PathOf("dpo-implicit"), "metrics.jsonl")).Length);
        (code, _, err) = CliHarness.Run("sft", "--model", tiny.ModelDir, "--data", text, "--out", tiny.PathOf("sft-text"), "--steps", "2", "--batch-size", "2");
        Assert.True(code == 0, err);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(tiny.PathOf("sft-text"), "metrics.jsonl")).Count(l => l.Length > 0));
    }
}
