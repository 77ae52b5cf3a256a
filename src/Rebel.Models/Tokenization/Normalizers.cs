// Normalizers: tokenizer.json's "normalizer" component, the text rewrite applied to each piece of input between the
// added tokens, before pre-tokenization (Hugging Face tokenizers' normalizers, without offset tracking).
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Rebel.Models.Tokenization;

/// <summary>A text-to-text rewrite of tokenizer.json's "normalizer".</summary>
internal abstract class Normalizer
{
    public const string Supported = "Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, BertNormalizer, ByteLevel, Precompiled (empty charsmap)";

    public abstract string Apply(string text);

    /// <summary>The normalizer a tokenizer.json node describes; null for JSON null.</summary>
    public static Normalizer? Read(JsonNode? node, TokenizerJsonReader reader)
    {
        if (node is null) return null;
        string type = reader.TypeOf(node, "normalizer");
        return type switch
        {
            "Sequence" => new SequenceNormalizer(reader.Children(node, "normalizers", "normalizer").Select(n => Read(n, reader) ?? throw reader.Bad("normalizer Sequence entry is null")).ToArray()),
            "Prepend" => new PrependNormalizer(reader.RequiredString(node, "prepend", "Prepend normalizer")),
            "Replace" => new ReplaceNormalizer(reader.Pattern(node, "Replace normalizer"), reader.RequiredString(node, "content", "Replace normalizer")),
            "NFC" => new UnicodeNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeNormalizer(NormalizationForm.FormKD),
            "Lowercase" => new LowercaseNormalizer(),
            "Strip" => new StripNormalizer(TokenizerJsonReader.Flag(node, "strip_left", true), TokenizerJsonReader.Flag(node, "strip_right", true)),
            "StripAccents" => new StripAccentsNormalizer(),
            "BertNormalizer" => BertNormalizer.FromJson(node),
            "Precompiled" => ReadPrecompiled(node, reader),
            "ByteLevel" => new ByteLevelNormalizer(),
            _ => throw reader.Unsupported("normalizer", type, Supported),
        };
    }

    /// <summary>SentencePiece's compiled normalization rules: accepted only when empty (then it changes nothing).</summary>
    private static Normalizer ReadPrecompiled(JsonNode node, TokenizerJsonReader reader)
    {
        string? map = TokenizerJsonReader.String(node, "precompiled_charsmap");
        return string.IsNullOrEmpty(map) ? new SequenceNormalizer([])
            : throw reader.Unsupported("normalizer", "Precompiled (with a non-empty precompiled_charsmap)", Supported);
    }

    /// <summary>Whether a code point is a mark (general category M: Mn, Mc, Me).</summary>
    protected static bool IsMark(Rune r) => Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark
        or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;

    /// <summary>Removes the marks of a canonically decomposed text.</summary>
    protected static string RemoveMarks(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var r in text.EnumerateRunes())
        {
            if (!IsMark(r)) sb.Append(r.ToString());
        }
        return sb.ToString();
    }
}

/// <summary>Applies its normalizers in order.</summary>
internal sealed class SequenceNormalizer(Normalizer[] normalizers) : Normalizer
{
    public override string Apply(string text)
    {
        foreach (var n in normalizers) text = n.Apply(text);
        return text;
    }
}

/// <summary>Puts a prefix in front of non-empty text (SentencePiece's "▁" for Llama-2-style tokenizers).</summary>
internal sealed class PrependNormalizer(string prefix) : Normalizer
{
    public override string Apply(string text) => text.Length == 0 ? text : prefix + text;
}

/// <summary>Replaces every match of a pattern by a fixed text.</summary>
internal sealed class ReplaceNormalizer(Regex pattern, string content) : Normalizer
{
    public override string Apply(string text) => pattern.Replace(text, _ => content);
}

/// <summary>One of the four Unicode normalization forms (see <see cref="UnicodeNormalization"/>).</summary>
internal sealed class UnicodeNormalizer(NormalizationForm form) : Normalizer
{
    public override string Apply(string text) => UnicodeNormalization.Normalize(text, form);
}

/// <summary>Every UTF-8 byte as its byte-level character (GPT-2's table), as the ByteLevel pre-tokenizer does.</summary>
internal sealed class ByteLevelNormalizer : Normalizer
{
    public override string Apply(string text) => ByteLevel.Encode(text);
}

/// <summary>Unicode lower case.</summary>
internal sealed class LowercaseNormalizer : Normalizer
{
    public override string Apply(string text) => text.ToLowerInvariant();
}

/// <summary>Removes white space at the start and/or end.</summary>
internal sealed class StripNormalizer(bool left, bool right) : Normalizer
{
    public override string Apply(string text) => left && right ? text.Trim() : left ? text.TrimStart() : right ? text.TrimEnd() : text;
}

/// <summary>Removes marks (meant to follow NFD or NFKD).</summary>
internal sealed class StripAccentsNormalizer : Normalizer
{
    public override string Apply(string text) => RemoveMarks(text);
}

/// <summary>BERT's clean-up: control characters out, white space to ' ', CJK ideographs spaced, accents stripped, lower case.</summary>
internal sealed class BertNormalizer(bool cleanText, bool chineseChars, bool stripAccents, bool lowercase) : Normalizer
{
    public static BertNormalizer FromJson(JsonNode node)
    {
        bool lower = TokenizerJsonReader.Flag(node, "lowercase", true);
        return new BertNormalizer(TokenizerJsonReader.Flag(node, "clean_text", true), TokenizerJsonReader.Flag(node, "handle_chinese_chars", true),
            TokenizerJsonReader.Flag(node, "strip_accents", lower), lower);
    }

    public override string Apply(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var r in text.EnumerateRunes())
        {
            if (cleanText)
            {
                if (r.Value is 0 or 0xFFFD || IsControl(r)) continue;
                if (r.Value is '\t' or '\n' or '\r' || Rune.IsWhiteSpace(r))
                {
                    sb.Append(' ');
                    continue;
                }
            }
            if (chineseChars && IsCjkIdeograph(r.Value)) sb.Append(' ').Append(r.ToString()).Append(' ');
            else sb.Append(r.ToString());
        }
        string result = sb.ToString();
        if (stripAccents) result = RemoveMarks(UnicodeNormalization.Normalize(result, NormalizationForm.FormD));
        return lowercase ? result.ToLowerInvariant() : result;
    }

    private static bool IsControl(Rune r) => r.Value is not ('\t' or '\n' or '\r') && Rune.GetUnicodeCategory(r) is UnicodeCategory.Control
        or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate;

    private static bool IsCjkIdeograph(int cp) => cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF
        or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
