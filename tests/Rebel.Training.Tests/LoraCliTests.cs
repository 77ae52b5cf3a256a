// The LoRA command line: train/sft with --lora-* write a PEFT adapter folder, sample/score take --adapter, and `rebel merge`
// writes a Hugging Face folder whose scores equal those of the base with the adapter applied.
using System.Text.Json.Nodes;

namespace Rebel.Training.Tests;

[Collection("Console")]
public sealed class LoraCliTests(TinyModelFolder tiny) : IClassFixture<TinyModelFolder>
{
    private static float[] Scores(string json) => [.. JsonNode.Parse(json)!["logprobs"]!.AsArray().Select(x => x!.GetValue<float>())];

    private static string Score(params string[] extra)
    {
        var (code, output, err) = CliHarness.Run(["score", "--ids", "5,9,2,17,30,11", "--json", .. extra]);
        Assert.True(code == 0, err);
        return output;
    }

    [Fact]
    public void TrainWithLora_WritesAPeftAdapter_ThatScoreSampleAndMergeUse()
    {
        string outDir = tiny.PathOf("lora-train"), merged = tiny.PathOf("lora-merged");
        var (code, output, err) = CliHarness.Run("train", "--model", tiny.ModelDir, "--prompts", tiny.Prompts, "--reward", "length", "--out", outDir,
            "--iterations", "2", "--prompts-per-iteration", "2", "--max-new-tokens", "4", "--epochs", "1", "--minibatch-pairs", "2", "--lr", "5e-2",
            "--lora-r", "4", "--lora-alpha", "8");
        Assert.True(code == 0, err);
        Assert.Contains("adapter/", output, StringComparison.Ordinal);
        string adapter = Path.Combine(outDir, "adapter");
        Assert.False(Directory.Exists(Path.Combine(outDir, "policy")) || Directory.Exists(Path.Combine(outDir, "model")));
        Assert.True(File.Exists(Path.Combine(adapter, "adapter_model.safetensors")));
        Assert.True(File.Exists(Path.Combine(outDir, "checkpoint", "policy", "adapter_config.json")));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json")))!;
        Assert.Equal(("LORA", "CAUSAL_LM", 4, 8.0, true), (config["peft_type"]!.GetValue<string>(), config["task_type"]!.GetValue<string>(),
            config["r"]!.GetValue<int>(), config["lora_alpha"]!.GetValue<double>(), config["fan_in_fan_out"]!.GetValue<bool>()));
        Assert.Equal(["c_attn"], config["target_modules"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(Path.GetFullPath(tiny.ModelDir), config["base_model_name_or_path"]!.GetValue<string>());

        var baseScores = Scores(Score("--model", tiny.ModelDir));
        var adapted = Scores(Score("--model", tiny.ModelDir, "--adapter", adapter));
        Assert.NotEqual(baseScores, adapted);

        (code, _, err) = CliHarness.Run("merge", "--model", tiny.ModelDir, "--adapter", adapter, "--out", merged);
        Assert.True(code == 0, err);
        var mergedScores = Scores(Score("--model", merged));
        for (int i = 0; i < adapted.Length; i++) Assert.True(MathF.Abs(adapted[i] - mergedScores[i]) < 1e-4f, $"token {i}: adapter {adapted[i]}, merged {mergedScores[i]}");

        (code, _, err) = CliHarness.Run("sample", "--model", tiny.ModelDir, "--adapter", adapter, "--prompt", "say 1 letters:", "--max-new-tokens", "3");
        Assert.True(code == 0, err);
    }

    [Fact]
    public void SftWithLoraTargets_WritesAnAdapterOfThoseModules()
    {
        string data = tiny.PathOf("lora-sft.jsonl"), outDir = tiny.PathOf("lora-sft");
        File.WriteAllLines(data, Enumerable.Range(0, 4).Select(i => $"{{\"prompt\": \"say {i} letters:\", \"completion\": \" aa\"}}"));
        var (code, output, err) = CliHarness.Run("sft", "--model", tiny.ModelDir, "--data", data, "--out", outDir, "--steps", "2", "--batch-size", "2",
            "--lora-targets", "c_fc, mlp.c_proj", "--lora-dropout", "0.1");
        Assert.True(code == 0, err);
        Assert.Contains("adapter/", output, StringComparison.Ordinal);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "adapter", "adapter_config.json")))!;
        Assert.Equal(["c_fc", "mlp.c_proj"], config["target_modules"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal((8, 0.1), (config["r"]!.GetValue<int>(), Math.Round(config["lora_dropout"]!.GetValue<double>(), 6)));
        Score("--model", tiny.ModelDir, "--adapter", Path.Combine(outDir, "adapter"));
    }

    [Fact]
    public void UnknownLoraTarget_FailsNamingIt()
    {
        var (code, _, err) = CliHarness.Run("train", "--model", tiny.ModelDir, "--prompts", tiny.Prompts, "--reward", "length",
            "--out", tiny.PathOf("lora-bad"), "--lora-targets", "q_proj");
        Assert.Equal(1, code);
        Assert.Contains("'q_proj'", err, StringComparison.Ordinal);
        Assert.Contains("c_attn", err, StringComparison.Ordinal);
    }
}
