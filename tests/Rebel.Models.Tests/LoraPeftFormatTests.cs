// PEFT adapter folders (Fixtures/lora/<family>, written by scripts/golden/make_lora_fixtures.py from PEFT's documented format):
// we read them, compute the logits the float64 reference computes on the merged weights, and write the same keys and config.
using System.Text.Json.Nodes;
using Rebel.Models.IO;
using Rebel.Models.Lora;
using Rebel.Models.Pretrained;

namespace Rebel.Models.Tests;

public class LoraPeftFormatTests
{
    public static TheoryData<string> Families => new() { "gpt2", "llama", "gpt_neox", "phi3", "gemma2" };

    private static string Fixtures => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    private static JsonObject Golden(string name) => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures, "lora", name, "golden.json")))!;

    private static LanguageModel LoadAdapted(string name)
    {
        var model = HfModelLoader.Load(Path.Combine(Fixtures, name));
        PeftAdapter.Load(model, Path.Combine(Fixtures, "lora", name));
        return model;
    }

    private static void AssertLogits(string name, LanguageModel model, string what)
    {
        var golden = Golden(name);
        int[] ids = [.. golden["input_ids"]!.AsArray().Select(x => x!.GetValue<int>())];
        var expected = golden["logits"]!.AsArray().Select(x => (float)x!.GetValue<double>()).ToArray();
        var actual = TestModels.Logits(model, ids, 1);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-4f + 1e-4f * MathF.Abs(expected[i]), $"{name} {what} logit {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void PeftAdapter_Loaded_GivesTheReferenceLogits_OnAndMerged(string name)
    {
        var model = LoadAdapted(name);
        Assert.Equal(Golden(name)["keys"]!.AsArray().Count, 2 * model.LoraLayers.Count);
        AssertLogits(name, model, "adapters on");
        model.MergeLora();
        AssertLogits(name, model, "merged");
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void PeftAdapter_Saved_HasPeftsKeysValuesAndConfigFields(string name)
    {
        var model = LoadAdapted(name);
        string fixture = Path.Combine(Fixtures, "lora", name);
        var expectedConfig = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(fixture, PeftAdapter.ConfigFile)))!;
        using var dir = new TempDirectory();
        PeftAdapter.Save(model, dir.Path, expectedConfig["base_model_name_or_path"]!.GetValue<string>());

        var expected = SafetensorsReader.ReadAll(Path.Combine(fixture, PeftAdapter.WeightsFile));
        var written = SafetensorsReader.ReadAll(Path.Combine(dir.Path, PeftAdapter.WeightsFile));
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), written.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Golden(name)["keys"]!.AsArray().Select(k => k!.GetValue<string>()), written.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, t) in expected)
        {
            Assert.Equal(t.Shape, written[key].Shape);
            Assert.Equal(t.Data, written[key].Data);
        }

        var config = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, PeftAdapter.ConfigFile)))!;
        Assert.Equal(expectedConfig.Select(kv => kv.Key).Order(StringComparer.Ordinal), config.Select(kv => kv.Key).Order(StringComparer.Ordinal));
        foreach (var (key, value) in expectedConfig)
        {
            var ours = config[key];
            if (value is JsonValue v && v.TryGetValue<double>(out var number)) Assert.Equal(number, ours!.GetValue<double>(), 6);
            else Assert.True(JsonNode.DeepEquals(value, ours), $"{name} adapter_config.json '{key}': expected {value?.ToJsonString() ?? "null"}, wrote {ours?.ToJsonString() ?? "null"}");
        }
    }

    [Fact]
    public void PeftAdapter_Errors_NameTheFileAndTheProblem()
    {
        using var dir = new TempDirectory();
        string fixture = Path.Combine(Fixtures, "lora", "llama");
        File.Copy(Path.Combine(fixture, PeftAdapter.WeightsFile), dir.File(PeftAdapter.WeightsFile));
        var config = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(fixture, PeftAdapter.ConfigFile)))!;
        config["use_dora"] = true;
        File.WriteAllText(dir.File(PeftAdapter.ConfigFile), config.ToJsonString());
        var model = HfModelLoader.Load(Path.Combine(Fixtures, "llama"));
        var e = Assert.Throws<InvalidDataException>(() => PeftAdapter.Load(model, dir.Path));
        Assert.Contains("use_dora", e.Message, StringComparison.Ordinal);
        Assert.Contains(PeftAdapter.ConfigFile, e.Message, StringComparison.Ordinal);

        config["use_dora"] = false;
        config["layers_to_transform"] = new JsonArray(0);
        File.WriteAllText(dir.File(PeftAdapter.ConfigFile), config.ToJsonString());
        e = Assert.Throws<InvalidDataException>(() => PeftAdapter.Load(HfModelLoader.Load(Path.Combine(Fixtures, "llama")), dir.Path));
        Assert.Contains("layers_to_transform", e.Message, StringComparison.Ordinal);

        config["layers_to_transform"] = null;
        config["r"] = 5;
        File.WriteAllText(dir.File(PeftAdapter.ConfigFile), config.ToJsonString());
        e = Assert.Throws<InvalidDataException>(() => PeftAdapter.Load(HfModelLoader.Load(Path.Combine(Fixtures, "llama")), dir.Path));
        Assert.Contains("lora_A.weight' has shape", e.Message, StringComparison.Ordinal);
        Assert.Contains(PeftAdapter.WeightsFile, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PeftAdapter_RegexTargetModules_MatchWholeModulePaths()
    {
        using var dir = new TempDirectory();
        string fixture = Path.Combine(Fixtures, "lora", "llama");
        var config = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(fixture, PeftAdapter.ConfigFile)))!;
        config["target_modules"] = @".*\.(q_proj|v_proj|down_proj)";
        File.WriteAllText(dir.File(PeftAdapter.ConfigFile), config.ToJsonString());
        File.Copy(Path.Combine(fixture, PeftAdapter.WeightsFile), dir.File(PeftAdapter.WeightsFile));
        var model = HfModelLoader.Load(Path.Combine(Fixtures, "llama"));
        PeftAdapter.Load(model, dir.Path);
        AssertLogits("llama", model, "regex targets");
    }
}
