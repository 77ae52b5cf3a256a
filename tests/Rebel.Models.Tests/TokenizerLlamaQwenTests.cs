// Llama-3 and Qwen3 tokenizer.json files (Split regex + ByteLevel pre-tokenizers, NFC normalizer, ignore_merges, both merge
// spellings), trimmed to the fixture sentences, against ids from an independent transformers.js port.
using System.Text.Json.Nodes;
using Rebel.Models.Tokenization;

namespace Rebel.Models.Tests;

public sealed class TokenizerLlamaQwenTests
{
    public static TheoryData<string, int[]> Llama3Cases => TokenizerFixtures.Cases("llama3");

    public static TheoryData<string, int[]> Qwen3Cases => TokenizerFixtures.Cases("qwen3");

    public static TheoryData<string, int[]> Llama3Specials => TokenizerFixtures.Cases("llama3", "specials");

    public static TheoryData<string, int[]> Qwen3Specials => TokenizerFixtures.Cases("qwen3", "specials");

    [Theory]
    [MemberData(nameof(Llama3Cases))]
    [MemberData(nameof(Llama3Specials))]
    public void Llama3_matches_reference(string text, int[] expected)
    {
        Assert.Equal(expected, TokenizerFixtures.Llama3.Encode(text, addSpecialTokens: false));
        Assert.Equal(text, TokenizerFixtures.Llama3.Decode(expected));
    }

    [Theory]
    [MemberData(nameof(Qwen3Cases))]
    [MemberData(nameof(Qwen3Specials))]
    public void Qwen3_matches_reference(string text, int[] expected)
    {
        Assert.Equal(expected, TokenizerFixtures.Qwen3.Encode(text, addSpecialTokens: false));
        Assert.Equal(text, TokenizerFixtures.Qwen3.Decode(expected));
    }

    [Fact]
    public void Llama3_template_processing_prepends_begin_of_text()
    {
        var json = TokenizerFixtures.Llama3.ToJson();
        json["post_processor"] = JsonNode.Parse("""
            {"type": "Sequence", "processors": [
              {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
              {"type": "TemplateProcessing",
               "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
               "pair": [],
               "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [128000], "tokens": ["<|begin_of_text|>"]}}}]}
            """);
        var tokenizer = new BpeTokenizer(json);
        Assert.Equal([128000, 9906, 1917], tokenizer.Encode("Hello world"));
        Assert.Equal([9906, 1917], tokenizer.Encode("Hello world", addSpecialTokens: false));
        Assert.Equal([128000], tokenizer.Encode(""));
        Assert.Equal("Hello world", tokenizer.Decode([128000, 9906, 1917], skipSpecialTokens: true));
    }

    [Fact]
    public void Qwen3_nfc_normalizes_decomposed_input_without_icu()
    {
        // Under InvariantGlobalization (Directory.Build.props) string.Normalize has no data; UnicodeNormalization does the work.
        string decomposed = "Cafe\u0301 nai\u0308ve";
        Assert.Equal(TokenizerFixtures.Qwen3.Encode("Café naïve"), TokenizerFixtures.Qwen3.Encode(decomposed));
        Assert.Equal("Café naïve", TokenizerFixtures.Qwen3.Decode(TokenizerFixtures.Qwen3.Encode(decomposed)));
    }

    [Fact]
    public void Folder_load_reads_tokenizer_config_tokens_in_both_spellings()
    {
        using var temp = new TempDirectory();
        TokenizerFixtures.Qwen3.Save(temp.File("tokenizer.json"));
        File.WriteAllText(temp.File("tokenizer_config.json"), """
            {"bos_token": null, "eos_token": {"content": "<|im_end|>", "lstrip": false}, "pad_token": "<|endoftext|>",
             "chat_template": "{% for message in messages %}<|im_start|>{{ message.role }}...", "model_max_length": 1e30}
            """);
        var tokenizer = BpeTokenizer.LoadFolder(temp.Path);
        Assert.Equal(151645, tokenizer.EosTokenId);
        Assert.Equal(151643, tokenizer.PadTokenId);
        Assert.Null(tokenizer.BosTokenId);
        Assert.Equal(int.MaxValue, tokenizer.Config!.ModelMaxLength);
        Assert.StartsWith("{% for message in messages %}<|im_start|>", tokenizer.Config.ChatTemplate, StringComparison.Ordinal);
        Assert.Equal([9707, 1879], tokenizer.Encode("Hello world"));
    }

    [Theory]
    [InlineData(@"a?+b", @"(?>a?)b")]
    [InlineData(@"\p{L}++x", @"(?>\p{L}+)x")]
    [InlineData(@"[^\s\p{L}]*+", @"(?>[^\s\p{L}]*)")]
    [InlineData(@"(?:ab|c)++", @"(?>(?:ab|c)+)")]
    [InlineData(@"\p{N}{1,3}+", @"(?>\p{N}{1,3})")]
    [InlineData(@"a+?b*", @"a+?b*")]
    [InlineData(@"(?i:'s|'t)|\s+(?!\S)", @"(?i:'s|'t)|\s+(?!\S)")]
    public void Possessive_quantifiers_become_atomic_groups(string pattern, string expected) =>
        Assert.Equal(expected, PreTokenizerRegex.Translate(pattern));

    [Fact]
    public void Unsupported_model_type_is_reported()
    {
        var e = Assert.Throws<NotSupportedException>(() => BpeTokenizer.FromJson("""{"model": {"type": "Unigram", "vocab": []}}""", "x.json"));
        Assert.Contains("Unigram", e.Message);
        Assert.Throws<InvalidDataException>(() => BpeTokenizer.FromJson("{", "x.json"));
        Assert.Throws<FileNotFoundException>(() => BpeTokenizer.Load("/nonexistent/tokenizer.json"));
    }
}
