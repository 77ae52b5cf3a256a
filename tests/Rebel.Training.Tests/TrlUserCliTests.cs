// The frictions a TRL user met after the quickstart (issue 17), retried as that user would: TRL's flag names in snake_case,
// per-algorithm help, a flag of another algorithm, one vocabulary across commands, generation lengths that do not fit the model's
// context (48 positions for the tiny model), and a broken reward program.
using System.Text.Json.Nodes;

namespace Rebel.Training.Tests;

[Collection("Console")]
public sealed class TrlUserCliTests(TinyModelFolder tiny) : IClassFixture<TinyModelFolder>
{
    private const int Context = 48;

    // A prompt file whose one prompt is `tokens` tokens long (the tiny tokenizer adds no BOS).
    private string LongPrompts(string name, out int tokens)
    {
        string text = "say 3 letters: " + string.Join(' ', Enumerable.Range(0, 9).Select(i => $"abab cdcd {i}"));
        tokens = tiny.Tokenizer.Encode(text).Length;
        Assert.InRange(tokens, 20, Context - 2);
        string path = tiny.PathOf(name);
        File.WriteAllText(path, new JsonObject { ["prompt"] = text, ["answer"] = "3" }.ToJsonString() + "\n");
        return path;
    }

    [Fact]
    public void TrainTakesTrlNamesInSnakeCase()
    {
        string outDir = tiny.PathOf("trl-names");
        var (code, _, err) = CliHarness.Run("train", "--algo", "grpo", "--model", tiny.ModelDir, "--prompts", tiny.Prompts, "--reward", "length",
            "--output_dir", outDir, "--iterations", "1", "--prompts_per_iteration", "2", "--num_generations", "2", "--max_completion_length", "3",
            "--per_device_train_batch_size", "4", "--learning_rate=1e-3", "--lr_scheduler_type", "constant", "--epsilon", "0.3", "--seed", "2");
        Assert.True(code == 0, err);
        var row = JsonNode.Parse(File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Single())!.AsObject();
        Assert.Equal(1e-3, row["lr"]!.GetValue<double>(), 6); // constant schedule at the typed rate
        Assert.True(File.Exists(Path.Combine(outDir, "model", "config.json"))); // model/, as sft and reward write it
        Assert.Equal("model", new DirectoryInfo(Path.Combine(outDir, "policy")).LinkTarget); // the former name still reads
        Assert.True(File.Exists(Path.Combine(outDir, "policy", "config.json")));
    }

    [Fact]
    public void SftTakesTrlNamesInSnakeCase()
    {
        string data = tiny.PathOf("trl-sft.jsonl"), outDir = tiny.PathOf("trl-sft");
        File.WriteAllLines(data, Enumerable.Range(0, 4).Select(i => $"{{\"prompt\": \"say {i} letters:\", \"completion\": \" abab\"}}"));
        var (code, _, err) = CliHarness.Run("sft", "--model", tiny.ModelDir, "--data", data, "--output_dir", outDir, "--max_steps", "3",
            "--per_device_train_batch_size", "2", "--learning_rate", "2e-3", "--lr_scheduler_type", "constant", "--warmup_steps", "0", "--seed", "4");
        Assert.True(code == 0, err);
        var rows = File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal(2e-3, r["lr"]!.GetValue<double>(), 6));
    }

    [Fact]
    public void TrainHelpForOneAlgorithmShowsItsOptionsAndDefaults()
    {
        var (code, output, _) = CliHarness.Run("train", "--algo", "grpo", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--num-generations", output, StringComparison.Ordinal);
        Assert.Contains("[default: 8]", output, StringComparison.Ordinal);
        Assert.Contains("[default: 1e-06]", output, StringComparison.Ordinal);
        Assert.Contains("[default: dapo]", output, StringComparison.Ordinal); // GRPO's own loss type (TRL's default)
        foreach (var other in new[] { "--beta ", "--eta ", "--gae-lambda", "--pairing" }) Assert.DoesNotContain(other, output, StringComparison.Ordinal);
        (_, output, _) = CliHarness.Run("train", "--help");
        Assert.Contains("--eta", output, StringComparison.Ordinal);
        (code, output, _) = CliHarness.Run("image", "train", "--algo", "ddpo", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--clip-range <number>", output, StringComparison.Ordinal);
        Assert.DoesNotContain("--eta ", output, StringComparison.Ordinal); // image REBEL's η
    }

    [Fact]
    public void BetaUnderGrpoNamesTheKlFlag()
    {
        var (code, _, err) = CliHarness.Run("train", "--algo", "grpo", "--beta", "0.04", "--model", tiny.ModelDir, "--prompts", tiny.Prompts, "--reward", "length",
            "--out", tiny.PathOf("grpo-beta"));
        Assert.Equal(1, code);
        Assert.Contains("--beta does not apply to --algo grpo: it is online-dpo's", err, StringComparison.Ordinal);
        Assert.Contains("--kl-coef", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(tiny.PathOf("grpo-beta")));
    }

    // --data, --batch-size, --output_dir and --config on dpo, as on every training command; the old names still work elsewhere.
    [Fact]
    public void DpoTakesTheSharedVocabularyAndAConfigFile()
    {
        string pairs = tiny.PathOf("vocab-pairs.jsonl"), config = tiny.PathOf("dpo.yaml"), outDir = tiny.PathOf("vocab-dpo");
        File.WriteAllLines(pairs, Enumerable.Range(0, 4).Select(i => $"{{\"prompt\": \"say {i} letters:\", \"chosen\": \" abab\", \"rejected\": \" cdcd\"}}"));
        File.WriteAllLines(config, [$"data: {pairs}", "per_device_train_batch_size: 2", "num_train_epochs: 2", "learning_rate: 1e-3"]);
        var (code, _, err) = CliHarness.Run("dpo", "--model", tiny.ModelDir, "--config", config, "--output_dir", outDir);
        Assert.True(code == 0, err);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Length); // 2 epochs × 4 pairs / 2 per step
        (code, _, err) = CliHarness.Run("reward", "--model", tiny.ModelDir, "--data", pairs, "--out", tiny.PathOf("vocab-rm"), "--num_train_epochs", "1", "--batch-size", "2");
        Assert.True(code == 0, err);
    }

    // --config on the nested `image train` and on compare: the file's entries reach the command's own flags (and only those).
    [Fact]
    public void ImageTrainAndCompareTakeAConfigFile()
    {
        string image = tiny.PathOf("image.yaml"), compare = tiny.PathOf("compare.yaml");
        File.WriteAllLines(image, ["model: no-such-folder", "algo: ddpo", "eta: 2"]);
        var (code, _, err) = CliHarness.Run("image", "train", "--config", image);
        Assert.Equal(1, code);
        Assert.Contains("--eta does not apply to --algo ddpo", err, StringComparison.Ordinal);
        File.WriteAllLines(compare, ["num_generations: 4", "bogus: 1"]);
        (code, _, err) = CliHarness.Run("compare", "--config", compare);
        Assert.Equal(1, code);
        Assert.Contains("unknown key 'bogus' for 'rebel compare'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void SampleFitsTheContextWhenNoLengthIsGivenAndNamesTheFixWhenOneIsTooLong()
    {
        LongPrompts("long-sample.jsonl", out int n);
        string prompt = "say 3 letters: " + string.Join(' ', Enumerable.Range(0, 9).Select(i => $"abab cdcd {i}"));
        var (code, output, err) = CliHarness.Run("sample", "--model", tiny.ModelDir, "--prompt", prompt, "--json", "--temperature", "1", "--stop", "never-said");
        Assert.True(code == 0, err);
        int generated = JsonNode.Parse(output.Trim())!["tokens"]!.AsArray().Count;
        Assert.InRange(generated, 1, Context - n);
        (code, _, err) = CliHarness.Run("sample", "--model", tiny.ModelDir, "--prompt", prompt, "--max-new-tokens", "40");
        Assert.Equal(1, code);
        Assert.Contains($"the prompt is {n} tokens; with --max-new-tokens 40 it exceeds the model's context of {Context} tokens: pass --max-new-tokens {Context - n} or less", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("eval")]
    [InlineData("train")]
    public void EvalAndTrainCheckTheLengthBeforeAnyWork(string command)
    {
        string prompts = LongPrompts($"long-{command}.jsonl", out int n);
        string outPath = tiny.PathOf(command == "eval" ? "long-eval.json" : "long-train");
        string[] common = [command, "--model", tiny.ModelDir, "--prompts", prompts, "--reward", "length", "--out", outPath, "--iterations", "1", "--prompts-per-iteration", "1"];
        if (command == "eval") common = [.. common.Take(9)];
        var (code, _, err) = CliHarness.Run([.. common, "--max-new-tokens", "40"]);
        Assert.Equal(1, code);
        Assert.Contains($"{prompts}:1) is {n} tokens", err, StringComparison.Ordinal);
        Assert.Contains($"pass --max-new-tokens {Context - n} or less", err, StringComparison.Ordinal);
        Assert.False(Path.Exists(outPath));
        (code, _, err) = CliHarness.Run(common); // no length given: the default shortened to what the context leaves
        Assert.True(code == 0, err);
    }

    // A reward program that answers garbage is called once, on a test query, and the run stops with its error before sampling.
    [Theory]
    [InlineData("train")]
    [InlineData("eval")]
    public void ABrokenRewardFailsOnATestQueryBeforeSampling(string command)
    {
        string log = tiny.PathOf($"probe-{command}.log");
        string reward = $"cmd:while IFS= read -r line; do echo \"$line\" >> {log}; echo not-json; done";
        var (code, _, err) = CliHarness.Run(command, "--model", tiny.ModelDir, "--prompts", tiny.Prompts, "--reward", reward, "--max-new-tokens", "4",
            "--out", tiny.PathOf(command == "eval" ? "probe.json" : "probe-run"));
        Assert.Equal(1, code);
        Assert.Contains("failed on a test query made before sampling", err, StringComparison.Ordinal);
        var request = JsonNode.Parse(File.ReadAllLines(log).Single())!.AsObject();
        Assert.Equal(" 0", request["completion"]!.GetValue<string>());
        Assert.False(Directory.Exists(tiny.PathOf("probe-run")));
    }
}
