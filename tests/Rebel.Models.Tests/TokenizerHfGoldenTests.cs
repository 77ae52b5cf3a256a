// Real tokenizer.json files of six families (SentencePiece BPE with byte fallback: Llama-2/Mistral and Gemma-3, the same
// with a Metaspace pre-tokenizer; byte-level BPE: Llama-3, Qwen3, DeepSeek-V3) against the ids and decoded texts that
// Hugging Face's JavaScript port (@huggingface/tokenizers) gives for a few hundred varied strings.
using System.Text.Json.Nodes;
using Rebel.Models.Tokenization;

namespace Rebel.Models.Tests;

public sealed class TokenizerHfGoldenTests
{
    public static TheoryData<string> Families => ["llama2", "llama2-metaspace", "gemma3", "llama3", "qwen3", "deepseek_v3"];

    /// <summary>The tokenizer of a family; "llama2-metaspace" is built from the Llama-2 file as the generator script does.</summary>
    private static BpeTokenizer Tokenizer(string family) => family switch
    {
        "llama2" => TokenizerFixtures.Llama2,
        "llama2-metaspace" => Llama2Metaspace.Value,
        "gemma3" => TokenizerFixtures.Gemma3,
        "llama3" => TokenizerFixtures.Llama3,
        "qwen3" => TokenizerFixtures.Qwen3,
        "deepseek_v3" => TokenizerFixtures.DeepSeekV3,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    private static readonly Lazy<BpeTokenizer> Llama2Metaspace = new(() =>
    {
        var json = TokenizerFixtures.Llama2.ToJson();
        json["normalizer"] = null;
        json["pre_tokenizer"] = JsonNode.Parse("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}""");
        return new BpeTokenizer(json, "llama2-metaspace");
    });

    [Theory]
    [MemberData(nameof(Families))]
    public void Ids_match_hugging_face_with_and_without_special_tokens(string family)
    {
        var tokenizer = Tokenizer(family);
        var cases = (JsonArray)TokenizerFixtures.HfExpected(family)["cases"]!;
        Assert.True(cases.Count > 300);
        var failures = new List<string>();
        foreach (var c in cases)
        {
            string text = c!["text"]!.GetValue<string>();
            int[] expected = Ids(c["ids"]), expectedWithSpecial = Ids(c["with_special"]);
            int[] actual = tokenizer.Encode(text, addSpecialTokens: false), actualWithSpecial = tokenizer.Encode(text);
            if (!expected.SequenceEqual(actual)) failures.Add($"{Show(text)}: expected [{string.Join(",", expected)}], got [{string.Join(",", actual)}]");
            else if (!expectedWithSpecial.SequenceEqual(actualWithSpecial))
                failures.Add($"{Show(text)} with special tokens: expected [{string.Join(",", expectedWithSpecial)}], got [{string.Join(",", actualWithSpecial)}]");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} differ:\n" + string.Join("\n", failures.Take(30)));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Decode_matches_hugging_face(string family)
    {
        var tokenizer = Tokenizer(family);
        var failures = new List<string>();
        int checkedCount = 0;
        foreach (var c in (JsonArray)TokenizerFixtures.HfExpected(family)["cases"]!)
        {
            if (c!["decoded"] is not JsonValue decoded) continue;
            checkedCount++;
            string actual = tokenizer.Decode(Ids(c["ids"]));
            if (actual != decoded.GetValue<string>()) failures.Add($"{Show(c["text"]!.GetValue<string>())}: expected {Show(decoded.GetValue<string>())}, got {Show(actual)}");
        }
        Assert.True(checkedCount > 100);
        Assert.True(failures.Count == 0, $"{failures.Count} of {checkedCount} differ:\n" + string.Join("\n", failures.Take(30)));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Pairs_match_hugging_face(string family)
    {
        var tokenizer = Tokenizer(family);
        foreach (var c in (JsonArray)TokenizerFixtures.HfExpected(family)["pairs"]!)
            Assert.Equal(Ids(c!["ids"]), tokenizer.EncodePair(c["text"]!.GetValue<string>(), c["pair"]!.GetValue<string>()));
    }

    private static int[] Ids(JsonNode? node) => ((JsonArray)node!).Select(x => x!.GetValue<int>()).ToArray();

    private static string Show(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
