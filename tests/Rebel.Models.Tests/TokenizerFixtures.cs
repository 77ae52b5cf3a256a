// Loads the tokenizer fixtures (gzipped tokenizer.json files built by scripts/make_tokenizer_fixtures.py) and the ids
// that independent JavaScript encoders produced for the same sentences (scripts/expected_token_ids.js).
using System.IO.Compression;
using System.Text.Json.Nodes;
using Rebel.Models.Tokenization;

namespace Rebel.Models.Tests;

internal static class TokenizerFixtures
{
    private static readonly Lazy<BpeTokenizer> Gpt2Lazy = new(() => BpeTokenizer.FromJson(ReadGz("gpt2-tokenizer.json.gz"), "gpt2"));
    private static readonly Lazy<BpeTokenizer> Llama3Lazy = new(() => BpeTokenizer.FromJson(ReadGz("llama3-tokenizer.json.gz"), "llama3"));
    private static readonly Lazy<BpeTokenizer> Qwen3Lazy = new(() => BpeTokenizer.FromJson(ReadGz("qwen3-tokenizer.json.gz"), "qwen3"));
    private static readonly Lazy<JsonObject> ExpectedLazy = new(() => (JsonObject)JsonNode.Parse(File.ReadAllText(PathOf("expected-token-ids.json")))!);

    public static BpeTokenizer Gpt2 => Gpt2Lazy.Value;

    public static BpeTokenizer Llama3 => Llama3Lazy.Value;

    public static BpeTokenizer Qwen3 => Qwen3Lazy.Value;

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
