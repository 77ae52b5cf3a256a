// The BPE model's options (byte_fallback, unk_token/fuse_unk, ignore_merges, continuing_subword_prefix, end_of_word_suffix,
// dropout), the added-token flags (lstrip, rstrip, single_word, normalized, special) and the post-processors (templates for
// one text and a pair, RoBERTa, BERT), on a hand-made character-level tokenizer.json.
using System.Text.Json.Nodes;
using Rebel.Models.Tokenization;

namespace Rebel.Models.Tests;

public sealed class TokenizerModelTests
{
    /// <summary>
    /// Characters a, b, c, x, ' ' (ids 2..6), "ab" (7), "abc" (8), &lt;s&gt; 0, &lt;/s&gt; 1, &lt;unk&gt; 9, &lt;0x00&gt;..&lt;0xFF&gt; (10..265);
    /// one merge a + b; no normalizer, pre-tokenizer, post-processor or decoder.
    /// </summary>
    public static JsonObject Tiny()
    {
        var vocab = new JsonObject { ["<s>"] = 0, ["</s>"] = 1, ["a"] = 2, ["b"] = 3, ["c"] = 4, ["x"] = 5, [" "] = 6, ["ab"] = 7, ["abc"] = 8, ["<unk>"] = 9 };
        for (int b = 0; b < 256; b++) vocab[$"<0x{b:X2}>"] = 10 + b;
        return new JsonObject
        {
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new JsonArray("a b") },
            ["added_tokens"] = new JsonArray(
                new JsonObject { ["id"] = 0, ["content"] = "<s>", ["special"] = true, ["normalized"] = false },
                new JsonObject { ["id"] = 1, ["content"] = "</s>", ["special"] = true, ["normalized"] = false }),
        };
    }

    private static BpeTokenizer With(Action<JsonObject> edit)
    {
        var json = Tiny();
        edit(json);
        return new BpeTokenizer(json, "tiny.json");
    }

    private static JsonObject Model(JsonObject json) => (JsonObject)json["model"]!;

    private static void AddToken(JsonObject json, int id, string content, bool lstrip = false, bool rstrip = false, bool singleWord = false,
        bool normalized = false, bool special = true) =>
        ((JsonArray)json["added_tokens"]!).Add(new JsonObject
        {
            ["id"] = id, ["content"] = content, ["special"] = special, ["lstrip"] = lstrip, ["rstrip"] = rstrip,
            ["single_word"] = singleWord, ["normalized"] = normalized,
        });

    [Fact]
    public void Byte_fallback_turns_unknown_characters_into_their_utf8_bytes()
    {
        var t = With(j => Model(j)["byte_fallback"] = true);
        Assert.Equal([7, 4, 10 + 0xC3, 10 + 0xA9, 10 + 0xF0, 10 + 0x9F, 10 + 0x98, 10 + 0x80], t.Encode("abcé😀"));
        var decoding = With(j =>
        {
            Model(j)["byte_fallback"] = true;
            j["decoder"] = JsonNode.Parse("""{"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]}""");
        });
        Assert.Equal("abcé😀", decoding.Decode(decoding.Encode("abcé😀")));
    }

    [Fact]
    public void Byte_fallback_is_decided_per_character_when_the_vocabulary_lacks_some_byte_tokens()
    {
        // Gemini's vocabulary spells the tab "\t" and has no <0x09>: a character whose bytes all exist still falls back to
        // them, one that needs a missing byte becomes unk (as Hugging Face's BPE decides, character by character).
        var t = With(j =>
        {
            Model(j)["byte_fallback"] = true;
            Model(j)["unk_token"] = "<unk>";
            Model(j)["fuse_unk"] = true;
            ((JsonObject)Model(j)["vocab"]!).Remove("<0xA9>");
        });
        Assert.Equal([2, 9, 10 + 0xC3, 10 + 0xA8, 3], t.Encode("aéèb"));
        Assert.Equal([9, 3], t.Encode("ééb"));
    }

    [Fact]
    public void Unknown_characters_become_unk_fused_or_not_or_vanish()
    {
        Assert.Equal([2, 9, 3], With(j => { Model(j)["unk_token"] = "<unk>"; Model(j)["fuse_unk"] = true; }).Encode("aéèb"));
        Assert.Equal([2, 9, 9, 3], With(j => { Model(j)["unk_token"] = "<unk>"; Model(j)["fuse_unk"] = false; }).Encode("aéèb"));
        Assert.Equal([7], With(_ => { }).Encode("aéèb"));
    }

    [Fact]
    public void Ignore_merges_takes_whole_words_from_the_vocabulary()
    {
        Assert.Equal([7, 4], With(_ => { }).Encode("abc"));
        Assert.Equal([8], With(j => Model(j)["ignore_merges"] = true).Encode("abc"));
    }

    [Fact]
    public void Continuing_subword_prefix_and_end_of_word_suffix()
    {
        var prefixed = new BpeTokenizer(JsonNode.Parse("""
            {"model": {"type": "BPE", "continuing_subword_prefix": "##", "vocab": {"a": 0, "##b": 1, "##c": 2, "ab": 3}, "merges": ["a ##b"]},
             "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": false}}
            """)!.AsObject(), "prefixed.json");
        Assert.Equal([3, 2], prefixed.Encode("abc"));
        Assert.Equal("abc", prefixed.Decode([3, 2]));
        var suffixed = new BpeTokenizer(JsonNode.Parse("""
            {"model": {"type": "BPE", "end_of_word_suffix": "</w>", "vocab": {"a": 0, "b</w>": 1, "ab</w>": 2, "b": 3}, "merges": ["a b</w>"]},
             "pre_tokenizer": {"type": "WhitespaceSplit"}, "decoder": {"type": "BPEDecoder", "suffix": "</w>"}}
            """)!.AsObject(), "suffixed.json");
        Assert.Equal([2, 1], suffixed.Encode("ab b"));
        Assert.Equal("ab ab", suffixed.Decode([2, 2]));
    }

    [Fact]
    public void Dropout_is_rejected_unless_null_or_zero()
    {
        var e = Assert.Throws<NotSupportedException>(() => With(j => Model(j)["dropout"] = 0.1));
        Assert.Contains("dropout", e.Message);
        Assert.Contains("tiny.json", e.Message);
        Assert.Equal([7], With(j => Model(j)["dropout"] = 0.0).Encode("ab"));
        Assert.Equal([7], With(j => Model(j)["dropout"] = null).Encode("ab"));
    }

    [Fact]
    public void Added_token_strip_flags_absorb_neighbouring_white_space()
    {
        Assert.Equal([2, 6, 300, 3], With(j => AddToken(j, 300, "<m>")).Encode("a <m>b"));
        Assert.Equal([2, 300, 3], With(j => AddToken(j, 300, "<m>", lstrip: true)).Encode("a  <m>b"));
        Assert.Equal([2, 300, 3], With(j => AddToken(j, 300, "<m>", rstrip: true)).Encode("a<m>  b"));
    }

    [Fact]
    public void Single_word_added_tokens_need_non_word_neighbours()
    {
        var t = With(j => AddToken(j, 300, "cab", singleWord: true));
        Assert.Equal([300, 6, 5], t.Encode("cab x"));
        Assert.Equal([5, 4, 7], t.Encode("xcab"));
        Assert.Equal([4, 7, 5], t.Encode("cabx"));
    }

    [Fact]
    public void Normalized_added_tokens_match_after_the_normalizer_and_raw_ones_before()
    {
        var t = With(j =>
        {
            j["normalizer"] = JsonNode.Parse("""{"type": "Lowercase"}""");
            AddToken(j, 300, "XA", normalized: true, special: false);
            AddToken(j, 301, "CX", normalized: false, special: false);
        });
        Assert.Equal([300, 301], t.Encode("xaCX"));
        Assert.Equal([4, 5, 300], t.Encode("cxXa"));
        Assert.Equal("XA CX", t.Decode([300, 301]));
    }

    [Fact]
    public void Decode_without_decoder_joins_tokens_with_spaces_and_skips_specials_on_request()
    {
        var t = With(_ => { });
        Assert.Equal("<s> ab c", t.Decode([0, 7, 4]));
        Assert.Equal("ab c", t.Decode([0, 7, 4], skipSpecialTokens: true));
    }

    [Fact]
    public void Template_processing_for_single_texts_and_pairs()
    {
        var t = With(j => j["post_processor"] = JsonNode.Parse("""
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
             "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                      {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "</s>", "type_id": 1}}],
             "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}, "</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}}
            """));
        Assert.Equal([0, 7, 1], t.Encode("ab"));
        Assert.Equal([7], t.Encode("ab", addSpecialTokens: false));
        Assert.Equal([0, 7, 1, 4, 1], t.EncodePair("ab", "c"));
        Assert.Equal([7, 4], t.EncodePair("ab", "c", addSpecialTokens: false));
    }

    [Fact]
    public void Pair_without_a_pair_template_is_an_error()
    {
        var t = With(j => j["post_processor"] = JsonNode.Parse("""
            {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}}}
            """));
        Assert.Equal([0, 7], t.Encode("ab"));
        var e = Assert.Throws<InvalidOperationException>(() => t.EncodePair("ab", "c"));
        Assert.Contains("pair", e.Message);
    }

    [Fact]
    public void Roberta_and_bert_processing()
    {
        var roberta = With(j => j["post_processor"] = JsonNode.Parse("""
            {"type": "Sequence", "processors": [{"type": "ByteLevel", "trim_offsets": true},
             {"type": "RobertaProcessing", "sep": ["</s>", 1], "cls": ["<s>", 0], "trim_offsets": true, "add_prefix_space": false}]}
            """));
        Assert.Equal([0, 7, 1], roberta.Encode("ab"));
        Assert.Equal([0, 7, 1, 1, 4, 1], roberta.EncodePair("ab", "c"));
        var bert = With(j => j["post_processor"] = JsonNode.Parse("""{"type": "BertProcessing", "sep": ["</s>", 1], "cls": ["<s>", 0]}"""));
        Assert.Equal([0, 7, 1, 4, 1], bert.EncodePair("ab", "c"));
    }

    [Fact]
    public void Unsupported_model_type_names_the_file()
    {
        var e = Assert.Throws<NotSupportedException>(() => BpeTokenizer.FromJson("""{"model": {"type": "Unigram", "vocab": []}}""", "/m/tokenizer.json"));
        Assert.Contains("\"Unigram\"", e.Message);
        Assert.Contains("model", e.Message);
        Assert.Contains("/m/tokenizer.json", e.Message);
    }
}
