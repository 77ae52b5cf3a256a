// Loads the tokenizer fixtures (gzipped tokenizer.json files: GPT-2 from scripts/make_tokenizer_fixtures.py, the others
// from scripts/expected_token_ids_hf.mjs) and the ids that independent JavaScript encoders produced for the same sentences
// (scripts/expected_token_ids.js, scripts/expected_token_ids_hf.mjs).
using System.IO.Compression;
using System.Text.Json.Nodes;
using Rebel.Models.Tokenization;

namespace Rebel.Models.Tests;

internal static class TokenizerFixtures
{
    private static readonly Lazy<BpeTokenizer> Gpt2Lazy = new(() => BpeTokenizer.FromJson(ReadGz("gpt2-tokenizer.json.gz"), "gpt2"));
    private static readonly Lazy<BpeTokenizer> Llama3Lazy = new(() => BpeTokenizer.FromJson(ReadGz("llama3-tokenizer.json.gz"), "llama3"));
    private static readonly Lazy<BpeTokenizer> Qwen3Lazy = new(() => BpeTokenizer.FromJson(ReadGz("qwen3-tokenizer.json.gz"), "qwen3"));
    private static readonly Lazy<BpeTokenizer> Llama2Lazy = new(() => BpeTokenizer.FromJson(ReadGz("llama2-tokenizer.json.gz"), "llama2"));
    private static readonly Lazy<BpeTokenizer> Gemma3Lazy = new(() => BpeTokenizer.FromJson(ReadGz("gemma3-tokenizer.json.gz"), "gemma3"));
    private static readonly Lazy<BpeTokenizer> DeepSeekV3Lazy = new(() => BpeTokenizer.FromJson(ReadGz("deepseek_v3-tokenizer.json.gz"), "deepseek_v3"));
    private static readonly Lazy<JsonObject> HfExpectedLazy = new(() => (JsonObject)JsonNode.Parse(File.ReadAllText(PathOf("hf-token-ids.json")))!);
    private static readonly Lazy<JsonObject> ExpectedLazy = new(() => (JsonObject)JsonNode.Parse(File.ReadAllText(PathOf("expected-token-ids.json")))!);

    public static BpeTokenizer Gpt2 => Gpt2Lazy.Value;

    public static BpeTokenizer Llama3 => Llama3Lazy.Value;

    public static BpeTokenizer Qwen3 => Qwen3Lazy.Value;

    public static BpeTokenizer Llama2 => Llama2Lazy.Value;

    public static BpeTokenizer Gemma3 => Gemma3Lazy.Value;

    public static BpeTokenizer DeepSeekV3 => DeepSeekV3Lazy.Value;

    /// <summary>A family's section of hf-token-ids.json (ids from @huggingface/tokenizers).</summary>
    public static JsonObject HfExpected(string family) => (JsonObject)HfExpectedLazy.Value["families"]![family]!;

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static string ReadGz(string name)
    {
        using var file = File.OpenRead(PathOf(name));
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        return reader.ReadToEnd();
    }

    /// <summary>(text, expected ids) for one model from a section ("cases" or "specials") of expected-token-ids.json.</summary>
    public static TheoryData<string, int[]> Cases(string model, string section = "cases")
    {
        var data = new TheoryData<string, int[]>();
        foreach (var c in (JsonArray)ExpectedLazy.Value[section]!)
        {
            if (c![model] is JsonArray ids) data.Add(c["text"]!.GetValue<string>(), ids.Select(x => x!.GetValue<int>()).ToArray());
        }
        return data;
    }
}
