// The tokenizer.json components one by one, on hand-made JSON: pre-tokenizers (every Split behavior, Metaspace prepend
// schemes, ...), normalizers (including the Unicode normalization forms without ICU) and decoders. Expected values follow
// the examples of Hugging Face tokenizers' documentation and the rules of UAX #15.
using System.Text;
using System.Text.Json.Nodes;
using Rebel.Models.Tokenization;

namespace Rebel.Models.Tests;

public sealed class TokenizerComponentTests
{
    private static readonly TokenizerJsonReader Reader = new("test.json");

    private static string[] PreTokenize(string json, string text, bool atStart = true) =>
        PreTokenizer.Read(JsonNode.Parse(json), Reader)!.Apply([new Piece(text, atStart)]).Select(p => p.Text).ToArray();

    private static string Normalize(string json, string text) => Normalizer.Read(JsonNode.Parse(json), Reader)!.Apply(text);

    private static string[] DecodeChain(string json, params string[] tokens) => [.. TokenDecoder.Read(JsonNode.Parse(json), Reader)!.DecodeChain([.. tokens])];

    [Theory]
    [InlineData("Removed", false, new[] { "the", "final", "countdown" })]
    [InlineData("Isolated", false, new[] { "the", "-", "final", "-", "-", "countdown" })]
    [InlineData("MergedWithPrevious", false, new[] { "the-", "final-", "-", "countdown" })]
    [InlineData("MergedWithNext", false, new[] { "the", "-final", "-", "-countdown" })]
    [InlineData("Contiguous", false, new[] { "the", "-", "final", "--", "countdown" })]
    [InlineData("Removed", true, new[] { "-", "-", "-" })]
    [InlineData("MergedWithPrevious", true, new[] { "the", "-final", "-", "-countdown" })]
    [InlineData("MergedWithNext", true, new[] { "the-", "final-", "-", "countdown" })]
    public void Split_behaviors(string behavior, bool invert, string[] expected)
    {
        string json = $$"""{"type": "Split", "pattern": {"String": "-"}, "behavior": "{{behavior}}", "invert": {{(invert ? "true" : "false")}}}""";
        Assert.Equal(expected, PreTokenize(json, "the-final--countdown"));
        string regex = json.Replace("""{"String": "-"}""", """{"Regex": "-"}""", StringComparison.Ordinal);
        Assert.Equal(expected, PreTokenize(regex, "the-final--countdown"));
    }

    [Fact]
    public void Split_regex_counts_astral_characters_as_one()
    {
        Assert.Equal(["𝟙𝟚𝟛", "4"], PreTokenize("""{"type": "Split", "pattern": {"Regex": "\\p{N}{1,3}"}, "behavior": "Isolated"}""", "𝟙𝟚𝟛4"));
        Assert.Equal(["a", " ", "😀"], PreTokenize("""{"type": "Split", "pattern": {"Regex": "\\p{L}+|\\s+|\\p{So}"}, "behavior": "Isolated"}""", "a 😀"));
    }

    [Theory]
    [InlineData("always", true, "Hey friend!", new[] { "▁Hey", "▁friend!" })]
    [InlineData("always", false, "Hey friend!", new[] { "▁Hey", "▁friend!" })]
    [InlineData("first", true, "Hey friend!", new[] { "▁Hey", "▁friend!" })]
    [InlineData("first", false, "Hey friend!", new[] { "Hey", "▁friend!" })]
    [InlineData("never", true, "Hey friend!", new[] { "Hey", "▁friend!" })]
    [InlineData("always", true, "a  b", new[] { "▁a", "▁", "▁b" })]
    [InlineData("always", true, " x", new[] { "▁x" })]
    public void Metaspace_prepend_schemes(string scheme, bool atStart, string text, string[] expected)
    {
        string json = $$"""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "{{scheme}}", "split": true}""";
        Assert.Equal(expected, PreTokenize(json, text, atStart));
        string unsplit = json.Replace("true}", "false}", StringComparison.Ordinal);
        Assert.Equal([string.Concat(expected)], PreTokenize(unsplit, text, atStart));
    }

    [Fact]
    public void Metaspace_legacy_add_prefix_space()
    {
        Assert.Equal(["▁a", "▁b"], PreTokenize("""{"type": "Metaspace", "replacement": "▁", "add_prefix_space": true}""", "a b"));
        Assert.Equal(["a", "▁b"], PreTokenize("""{"type": "Metaspace", "replacement": "▁", "add_prefix_space": false}""", "a b"));
    }

    [Fact]
    public void Other_pre_tokenizers()
    {
        Assert.Equal(["ab", "1", "2", "3", "c", "𝟙"], PreTokenize("""{"type": "Digits", "individual_digits": true}""", "ab123c𝟙"));
        Assert.Equal(["ab", "123", "c"], PreTokenize("""{"type": "Digits", "individual_digits": false}""", "ab123c"));
        Assert.Equal(["Hey", "friend", "!", "How", "?"], PreTokenize("""{"type": "Whitespace"}""", "Hey friend!  How?"));
        Assert.Equal(["Hey", "friend!"], PreTokenize("""{"type": "WhitespaceSplit"}""", " Hey\tfriend! "));
        Assert.Equal(["Hey", ",", " friend", "!", "!"], PreTokenize("""{"type": "Punctuation", "behavior": "Isolated"}""", "Hey, friend!!"));
        Assert.Equal(["Hey", ",", "friend", "!", "!"], PreTokenize("""{"type": "BertPreTokenizer"}""", "Hey, friend!!"));
        Assert.Equal(["a", "b c"], PreTokenize("""{"type": "CharDelimiterSplit", "delimiter": "|"}""", "a|b c"));
        Assert.Equal(["ĠHelloĠworld"], PreTokenize("""{"type": "ByteLevel", "add_prefix_space": true, "use_regex": false}""", "Hello world"));
        Assert.Equal(["ĠHello", "Ġworld", "Ċ"], PreTokenize("""{"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}""", "Hello world\n"));
        Assert.Equal(["ab", "1", "2", "c", "3"], PreTokenize("""
            {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "Digits", "individual_digits": true}]}
            """, "ab12 c3"));
    }

    [Fact]
    public void Normalizers()
    {
        Assert.Equal("", Normalize("""{"type": "Prepend", "prepend": "▁"}""", ""));
        Assert.Equal("▁hi", Normalize("""{"type": "Prepend", "prepend": "▁"}""", "hi"));
        Assert.Equal("a▁▁b", Normalize("""{"type": "Replace", "pattern": {"String": " "}, "content": "▁"}""", "a  b"));
        Assert.Equal("a $1 b", Normalize("""{"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " $1 "}""", "a   b"));
        Assert.Equal("▁hello▁world", Normalize("""
            {"type": "Sequence", "normalizers": [{"type": "Lowercase"}, {"type": "Prepend", "prepend": "▁"},
             {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
            """, "Hello World"));
        Assert.Equal("hello àé", Normalize("""{"type": "Lowercase"}""", "HeLLo ÀÉ"));
        Assert.Equal("hi \t", Normalize("""{"type": "Strip", "strip_left": true, "strip_right": false}""", "  hi \t"));
        Assert.Equal("  hi", Normalize("""{"type": "Strip", "strip_left": false, "strip_right": true}""", "  hi \t"));
        Assert.Equal("cafe naive", Normalize("""{"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}]}""", "café naïve"));
        Assert.Equal("hello world  中  文 ", Normalize("""{"type": "BertNormalizer"}""", "Héllo\tWORLD 中文\u0000"));
        Assert.Equal("Héllo", Normalize("""{"type": "BertNormalizer", "lowercase": false}""", "Héllo"));
        Assert.Equal("ĠcafÃ©", Normalize("""{"type": "ByteLevel"}""", " café"));
        Assert.Equal("as is", Normalize("""{"type": "Precompiled", "precompiled_charsmap": null}""", "as is"));
        var e = Assert.Throws<NotSupportedException>(() => Normalize("""{"type": "Precompiled", "precompiled_charsmap": "AAAA"}""", "x"));
        Assert.Contains("Precompiled", e.Message);
    }

    [Theory]
    [InlineData("e\u0301", NormalizationForm.FormC, "é")]
    [InlineData("é", NormalizationForm.FormD, "e\u0301")]
    [InlineData("ﬁ ① ² Ǆ", NormalizationForm.FormKC, "fi 1 2 DŽ")]
    [InlineData("ﬁ ① ² Ǆ", NormalizationForm.FormC, "ﬁ ① ² Ǆ")]
    [InlineData("Ǆ", NormalizationForm.FormKD, "DZ\u030C")]
    [InlineData("한", NormalizationForm.FormD, "\u1112\u1161\u11AB")]
    [InlineData("\u1112\u1161\u11AB\u1100\u1161", NormalizationForm.FormC, "한가")]
    [InlineData("a\u0308\u0323", NormalizationForm.FormD, "a\u0323\u0308")]
    [InlineData("a\u0308\u0323", NormalizationForm.FormC, "\u1EA1\u0308")]
    [InlineData("a\u0301\u0301", NormalizationForm.FormC, "á\u0301")]
    [InlineData("\u212B \u2126", NormalizationForm.FormC, "Å Ω")]
    [InlineData("𝔘 😀", NormalizationForm.FormKC, "U 😀")]
    [InlineData("plain ASCII", NormalizationForm.FormKD, "plain ASCII")]
    public void Unicode_normalization_forms(string text, NormalizationForm form, string expected) =>
        Assert.Equal(expected, UnicodeNormalization.Normalize(text, form));

    [Fact]
    public void Decoders()
    {
        Assert.Equal(["a", "b", "€", "c", "\uFFFD"], DecodeChain("""{"type": "ByteFallback"}""", "<0x61>", "b", "<0xE2>", "<0x82>", "<0xAC>", "c", "<0xFF>"));
        Assert.Equal(["\uFFFD", "\uFFFD", "x"], DecodeChain("""{"type": "ByteFallback"}""", "<0xE2>", "<0x82>", "x"));
        Assert.Equal(["hi", " x "], DecodeChain("""{"type": "Strip", "content": " ", "start": 1, "stop": 0}""", " hi", "  x "));
        Assert.Equal(["a ", "b"], DecodeChain("""{"type": "Strip", "content": " ", "start": 0, "stop": 1}""", "a  ", "b"));
        Assert.Equal(["ab"], DecodeChain("""{"type": "Fuse"}""", "a", "b"));
        Assert.Equal([" hi", "  x"], DecodeChain("""{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}""", "▁hi", "▁▁x"));
        Assert.Equal(["Hey", " friend"], DecodeChain("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always"}""", "▁Hey", "▁friend"));
        Assert.Equal([" Hey", " friend"], DecodeChain("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never"}""", "▁Hey", "▁friend"));
        Assert.Equal([" hello w€"], DecodeChain("""{"type": "ByteLevel"}""", "Ġhello", "Ġw", "âĤ¬"));
        Assert.Equal(["un", "aff", "able", "!", "."], DecodeChain("""{"type": "WordPiece", "prefix": "##", "cleanup": true}""", "un", "##aff", "##able", "!", "."));
        Assert.Equal(["hel", "lo ", "wor", "ld"], DecodeChain("""{"type": "BPEDecoder", "suffix": "</w>"}""", "hel", "lo</w>", "wor", "ld</w>"));
        string llama2 = """
            {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"},
             {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
            """;
        Assert.Equal(["Hello world😀"], DecodeChain(llama2, "▁Hello", "▁world", "<0xF0>", "<0x9F>", "<0x98>", "<0x80>"));
        Assert.Equal(["<s> Hello"], DecodeChain(llama2, "<s>", "▁Hello"));
    }

    [Theory]
    [InlineData("normalizer", """{"type": "Nmt"}""", "Nmt")]
    [InlineData("pre_tokenizer", """{"type": "UnicodeScripts"}""", "UnicodeScripts")]
    [InlineData("decoder", """{"type": "CTC"}""", "CTC")]
    [InlineData("post_processor", """{"type": "Fancy"}""", "Fancy")]
    public void Unknown_component_type_names_type_component_and_file(string component, string json, string type)
    {
        var tokenizer = TokenizerModelTests.Tiny();
        tokenizer[component] = JsonNode.Parse(json);
        var e = Assert.Throws<NotSupportedException>(() => new BpeTokenizer(tokenizer, "/models/x/tokenizer.json"));
        Assert.Contains($"\"{type}\"", e.Message);
        Assert.Contains(component, e.Message);
        Assert.Contains("/models/x/tokenizer.json", e.Message);
    }
}
