using System.Text.Json.Nodes;
using Rebel.Models.Pretrained;
using Rebel.Tensors;

namespace Rebel.Training.Tests;

[Collection("Console")]
public sealed class CliTests(TinyModelFolder tiny) : IClassFixture<TinyModelFolder>
{
    // A cmd: reward in shell: one {"reward": <length of the request line>} per input line (read/echo do not buffer,
    // unlike awk). Completions differ in reward, so REBEL's gradient is not zero (with a constant reward the policy
    // moved only through rounding noise between two log-prob passes, which a kernel change can remove).
    private const string ShellReward = "cmd:while IFS= read -r line; do echo \"{\\\"reward\\\": ${#line}}\"; done";

    private string[] TrainArgs(string outDir, int iterations) =>
    [
        "train", "--model", tiny.ModelDir, "--prompts", tiny.Prompts, "--reward", ShellReward, "--out", outDir,
        "--iterations", $"{iterations}", "--prompts-per-iteration", "2", "--max-new-tokens", "4", "--epochs", "1", "--minibatch-pairs", "2", "--lr", "1e-3",
    ];

    private static List<JsonObject> Lines(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => JsonNode.Parse(l)!.AsObject())];

    [Theory]
    [InlineData("")]
    [InlineData("quickstart")]
    [InlineData("train")]
    [InlineData("sft")]
    [InlineData("reward")]
    [InlineData("sample")]
    [InlineData("eval")]
    [InlineData("score")]
    [InlineData("tokenize")]
    [InlineData("template")]
    [InlineData("bench")]
    public void EveryCommandHasHelp(string command)
    {
        var (code, output, _) = CliHarness.Run(command.Length == 0 ? ["--help"] : [command, "--help"]);
        Assert.Equal(0, code);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenizeJsonPrintsExactlyTheIds()
    {
        const string text = "say 3 letters: abab";
        var (code, output, err) = CliHarness.Run("tokenize", "--model", tiny.ModelDir, "--text", text, "--json");
        Assert.True(code == 0, err);
        Assert.Equal($"{{\"ids\":[{string.Join(',', tiny.Tokenizer.Encode(text))}]}}", output.Trim());
    }

    [Fact]
    public void TokenizeWorksOnAFolderWithOnlyASentencePieceStyleTokenizer()
    {
        // Llama-2-style: Prepend/Replace normalizer, no pre-tokenizer, byte fallback, a BOS template, the SentencePiece decoder.
        var vocab = new JsonObject { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (int b = 0; b < 256; b++) vocab[$"<0x{b:X2}>"] = 3 + b;
        foreach (string piece in new[] { "▁", "h", "i", "▁h", "▁hi" }) vocab[piece] = vocab.Count;
        var json = new JsonObject
        {
            ["added_tokens"] = JsonNode.Parse("""[{"id": 1, "content": "<s>", "special": true, "normalized": false}]"""),
            ["normalizer"] = JsonNode.Parse("""
                {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
                """),
            ["post_processor"] = JsonNode.Parse("""
                {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                 "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
                """),
            ["decoder"] = JsonNode.Parse("""
                {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"},
                 {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
                """),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["unk_token"] = "<unk>", ["fuse_unk"] = true, ["byte_fallback"] = true, ["vocab"] = vocab,
                ["merges"] = new JsonArray("▁ h", "▁h i"),
            },
        };
        string dir = tiny.PathOf($"tokenizer-only-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString());
        int hi = vocab["▁hi"]!.GetValue<int>(), space = vocab["▁"]!.GetValue<int>();
        var (code, output, err) = CliHarness.Run("tokenize", "--model", dir, "--text", "hi é", "--json");
        Assert.True(code == 0, err);
        Assert.Equal($"{{\"ids\":[1,{hi},{space},{3 + 0xC3},{3 + 0xA9}]}}", output.Trim());
        (code, output, err) = CliHarness.Run("tokenize", "--model", dir, "--text", "hi", "--no-special-tokens");
        Assert.True(code == 0, err);
        Assert.Contains("▁hi", output, StringComparison.Ordinal);
        Assert.Contains("1 tokens", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ScoreGivesOneLogProbPerTokenAfterTheFirstMatchingPrefixForwards()
    {
        var (code, output, err) = CliHarness.Run("score", "--model", tiny.ModelDir, "--text", "say 5 letters: cdcd", "--json");
        Assert.True(code == 0, err);
        var json = Lines(output).Single();
        int[] ids = [.. json["ids"]!.AsArray().Select(n => n!.GetValue<int>())];
        float[] logprobs = [.. json["logprobs"]!.AsArray().Select(n => n!.GetValue<float>())];
        Assert.Equal(tiny.Tokenizer.Encode("say 5 letters: cdcd"), ids);
        Assert.Equal(ids.Length - 1, logprobs.Length);
        // Independent reference: one forward per prefix, log-softmax of the last position in double precision.
        var model = HfModelLoader.Load(tiny.ModelDir);
        int v = model.Config.VocabSize;
        for (int t = 1; t < ids.Length; t++)
        {
            var logits = model.Forward(ids.AsSpan(0, t), 1, t).Span.Slice((t - 1) * v, v);
            double max = double.NegativeInfinity, sum = 0;
            foreach (var x in logits) max = Math.Max(max, x);
            foreach (var x in logits) sum += Math.Exp(x - max);
            double want = logits[ids[t]] - max - Math.Log(sum);
            Assert.Equal(want, logprobs[t - 1], 4);
        }
        // --ids scores the same tokens as --text.
        var (code2, output2, _) = CliHarness.Run("score", "--model", tiny.ModelDir, "--ids", string.Join(',', ids), "--json");
        Assert.Equal(0, code2);
        Assert.Equal(output.Trim(), output2.Trim());
    }

    [Fact]
    public void ScoreIdsNeedsOnlyTheWeights()
    {
        string weightsOnly = tiny.PathOf("weights-only");
        Directory.CreateDirectory(weightsOnly);
        foreach (var file in Directory.GetFiles(tiny.ModelDir).Where(f => !Path.GetFileName(f).StartsWith("tokenizer", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(weightsOnly, Path.GetFileName(file)));
        Assert.False(File.Exists(Path.Combine(weightsOnly, "tokenizer.json")));
        var (code, output, err) = CliHarness.Run("score", "--model", weightsOnly, "--ids", "5,6,7,8", "--json");
        Assert.True(code == 0, err);
        string full = CliHarness.Run("score", "--model", tiny.ModelDir, "--ids", "5,6,7,8", "--json").Out;
        Assert.Equal(full.Trim(), output.Trim());
        var (tableCode, table, tableErr) = CliHarness.Run("score", "--model", weightsOnly, "--ids", "5,6,7,8");
        Assert.True(tableCode == 0, tableErr);
        Assert.Contains("over 3 tokens", table, StringComparison.Ordinal);
        // --text needs the tokenizer, and says which file is missing.
        var (textCode, _, textErr) = CliHarness.Run("score", "--model", weightsOnly, "--text", "hi");
        Assert.Equal(1, textCode);
        Assert.Contains("tokenizer.json", textErr, StringComparison.Ordinal);
    }

    [Fact]
    public void SampleIsReproducibleWithASeed()
    {
        string[] Args(string seed) => ["sample", "--model", tiny.ModelDir, "--prompt", "say 2 letters:", "--max-new-tokens", "6", "--num", "3", "--seed", seed, "--json"];
        var a = CliHarness.Run(Args("7"));
        var b = CliHarness.Run(Args("7"));
        var c = CliHarness.Run(Args("8"));
        Assert.True(a.Code == 0, a.Err);
        Assert.Equal(a.Out, b.Out);
        Assert.NotEqual(a.Out, c.Out);
        var lines = Lines(a.Out);
        Assert.Equal(3, lines.Count);
        foreach (var line in lines)
        {
            Assert.Equal("say 2 letters:", line["prompt"]!.GetValue<string>());
            Assert.NotNull(line["completion"]);
            Assert.Equal(line["tokens"]!.AsArray().Count, line["logprobs"]!.AsArray().Count);
            Assert.All(line["logprobs"]!.AsArray(), l => Assert.True(l!.GetValue<float>() <= 0));
        }
    }

    [Fact]
    public void TrainWritesMetricsReportAndPolicyAndResumeContinues()
    {
        string outDir = tiny.PathOf("train-run");
        var (code, _, err) = CliHarness.Run(TrainArgs(outDir, 2));
        Assert.True(code == 0, err);
        Assert.Equal([1.0, 2.0], Lines(File.ReadAllText(Path.Combine(outDir, "metrics.jsonl"))).Select(l => l["iteration"]!.GetValue<double>()));
        Assert.Contains("objective/scores", File.ReadAllText(Path.Combine(outDir, "report.html")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(outDir, "model", "config.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "checkpoint", "policy", "config.json")));
        var trained = HfModelLoader.Load(Path.Combine(outDir, "model"));
        var original = HfModelLoader.Load(tiny.ModelDir);
        Assert.Contains(trained.NamedParameters, kv => !kv.Value.Span.SequenceEqual(original.NamedParameters[kv.Key].Span));

        (code, _, err) = CliHarness.Run([.. TrainArgs(outDir, 3), "--resume", Path.Combine(outDir, "checkpoint")]);
        Assert.True(code == 0, err);
        Assert.Equal([1.0, 2.0, 3.0], Lines(File.ReadAllText(Path.Combine(outDir, "metrics.jsonl"))).Select(l => l["iteration"]!.GetValue<double>()));
    }

    [Fact]
    public void MalformedPromptFileExitsOneNamingFileAndLine()
    {
        string bad = tiny.PathOf("bad.jsonl");
        File.WriteAllLines(bad, ["{\"prompt\": \"say 1 letters:\"}", "{\"prompt\": \"say 2"]);
        var (code, _, err) = CliHarness.Run("train", "--model", tiny.ModelDir, "--prompts", bad, "--reward", "length", "--out", tiny.PathOf("bad-run"));
        Assert.Equal(1, code);
        Assert.Contains($"{bad}:2", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("missing-model", "does not exist")]
    [InlineData("cmd:echo broken >&2; exit 3", "exited (code 3)")]
    public void BadInputsExitOneWithAOneLineError(string reward, string expected)
    {
        string model = reward == "missing-model" ? tiny.PathOf("no-such-model") : tiny.ModelDir;
        var (code, _, err) = CliHarness.Run("train", "--model", model, "--prompts", tiny.Prompts, "--reward", reward == "missing-model" ? "length" : reward,
            "--iterations", "1", "--max-new-tokens", "4", "--out", tiny.PathOf("failed-run"));
        Assert.Equal(1, code);
        Assert.Contains(expected, err, StringComparison.Ordinal);
        Assert.StartsWith("error: ", err, StringComparison.Ordinal);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    // A program that reads its first line and never answers: --reward-timeout ends the wait with an error naming the timeout
    // (the default, 600 s, would hold the test for ten minutes); a value that is not a positive number of seconds is refused.
    [Theory]
    [InlineData("train", "1", "gave no answer within 1 s")]
    [InlineData("eval", "1", "gave no answer within 1 s")]
    [InlineData("eval", "0", "--reward-timeout 0 must be a positive number of seconds")]
    public void RewardTimeoutBoundsTheWaitForAnAnswer(string command, string seconds, string expected)
    {
        var (code, _, err) = CliHarness.Run(command, "--model", tiny.ModelDir, "--prompts", tiny.Prompts, "--reward", "cmd:read line; exec sleep 60",
            "--reward-timeout", seconds, "--max-new-tokens", "2", "--out", tiny.PathOf(command == "train" ? "timeout-run" : "timeout-eval.json"));
        Assert.Equal(1, code);
        Assert.Contains(expected, err, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownRewardListsTheForms()
    {
        var (code, _, err) = CliHarness.Run("eval", "--model", tiny.ModelDir, "--prompts", tiny.Prompts, "--reward", "bleu");
        Assert.Equal(1, code);
        Assert.Contains("regex:PATTERN", err, StringComparison.Ordinal);
        Assert.Contains("cmd:PROGRAM", err, StringComparison.Ordinal);
    }

    [Fact]
    public void YamlConfigSetsOptionsAndFlagsOverrideIt()
    {
        string outDir = tiny.PathOf("yaml-run");
        string config = tiny.PathOf("train.yaml");
        File.WriteAllLines(config,
        [
            $"model: {tiny.ModelDir}", $"prompts: {tiny.Prompts}", "reward: exact", $"out: {outDir}",
            "iterations: 1", "prompts_per_iteration: 3", "max-new-tokens: 4", "epochs: 1", "no_eos_score: -1", "schedule: constant",
        ]);
        var (code, _, err) = CliHarness.Run("train", "--config", config);
        Assert.True(code == 0, err);
        var rows = Lines(File.ReadAllText(Path.Combine(outDir, "metrics.jsonl")));
        Assert.Single(rows);
        Assert.Equal(6, rows[0]["reward_queries"]!.GetValue<double>()); // 3 prompts × 2 completions

        (code, _, err) = CliHarness.Run("train", "--config", config, "--prompts-per-iteration", "2");
        Assert.True(code == 0, err);
        Assert.Equal(4, Lines(File.ReadAllText(Path.Combine(outDir, "metrics.jsonl")))[0]["reward_queries"]!.GetValue<double>());

        File.AppendAllLines(config, ["iteratons: 3"]);
        (code, _, err) = CliHarness.Run("train", "--config", config);
        Assert.Equal(1, code);
        Assert.Contains("iteratons", err, StringComparison.Ordinal);
    }

    [Fact]
    public void EvalWritesMeanAndPerPromptResults()
    {
        string path = tiny.PathOf("eval.json");
        var (code, output, err) = CliHarness.Run("eval", "--model", tiny.ModelDir, "--prompts", tiny.Prompts, "--reward", "length", "--max-new-tokens", "5", "--out", path);
        Assert.True(code == 0, err);
        Assert.Contains("mean reward", output, StringComparison.Ordinal);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var results = json["results"]!.AsArray();
        Assert.Equal(6, results.Count);
        double mean = results.Average(r => r!["reward"]!.GetValue<double>());
        Assert.Equal(mean, json["mean_reward"]!.GetValue<double>(), 5);
        Assert.All(results, r => Assert.Equal(r!["completion"]!.GetValue<string>().Length / 100.0, r["reward"]!.GetValue<double>(), 5));
    }
}
