// Real tokenizer.json files of six families (SentencePiece BPE with byte fallback: Llama-2/Mistral and Gemma-3, the same
// with a Metaspace pre-tokenizer; byte-level BPE: Llama-3, Qwen3, DeepSeek-V3) against the ids and decoded texts that
// Hugging Face's JavaScript port (@huggingface/tokenizers) gives for a few hundred varied strings.
using System.Text.Json.Nodes;
using Rebel.Models.Tokenization;

namespace Rebel.Models.Tests;

public sealed class TokenizerHfGoldenTests
{
    public static TheoryData<string> Families =>
        ["llama2", "llama2-metaspace", "gemma3", "llama3", "qwen3", "qwen3-nfkc", "qwen3-nfkd-lowercase", "qwen3-nfd", "deepseek_v3"];

    /// <summary>The tokenizer of a family; variants change one component of a real file, as the generator script does.</summary>
    private static BpeTokenizer Tokenizer(string family) => family switch
    {
        "llama2" => TokenizerFixtures.Llama2,
        "llama2-metaspace" => Variant(TokenizerFixtures.Llama2, family, null,
            """{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}"""),
        "gemma3" => TokenizerFixtures.Gemma3,
        "llama3" => TokenizerFixtures.Llama3,
        "qwen3" => TokenizerFixtures.Qwen3,
        "qwen3-nfkc" => Variant(TokenizerFixtures.Qwen3, family, """{"type": "NFKC"}"""),
        "qwen3-nfkd-lowercase" => Variant(TokenizerFixtures.Qwen3, family, """{"type": "Sequence", "normalizers": [{"type": "NFKD"}, {"type": "Lowercase"}]}"""),
        "qwen3-nfd" => Variant(TokenizerFixtures.Qwen3, family, """{"type": "NFD"}"""),
        "deepseek_v3" => TokenizerFixtures.DeepSeekV3,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    /// <summary>A copy of <paramref name="tokenizer"/> with another normalizer (and, when given, pre-tokenizer).</summary>
    private static BpeTokenizer Variant(BpeTokenizer tokenizer, string name, string? normalizer, string? preTokenizer = null)
    {
        var json = tokenizer.ToJson();
        json["normalizer"] = normalizer is null ? null : JsonNode.Parse(normalizer);
        if (preTokenizer is not null) json["pre_tokenizer"] = JsonNode.Parse(preTokenizer);
        return new BpeTokenizer(json, name);
    }

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
