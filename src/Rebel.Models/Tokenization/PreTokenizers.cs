// PreTokenizers: tokenizer.json's "pre_tokenizer" component, which cuts normalized text into the words that BPE encodes
// one by one (Hugging Face tokenizers' pre-tokenizers, without offset tracking).
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Rebel.Models.Tokenization;

/// <summary>A word of pre-tokenization; <paramref name="AtStart"/> when it begins at offset 0 of the original input.</summary>
internal readonly record struct Piece(string Text, bool AtStart);

/// <summary>How a split treats the matches of its pattern (Hugging Face's SplitDelimiterBehavior).</summary>
internal enum SplitBehavior
{
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}

/// <summary>A step of tokenizer.json's "pre_tokenizer": each piece in, zero or more pieces out.</summary>
internal abstract class PreTokenizer
{
    public const string Supported = "Sequence, ByteLevel, Split, Metaspace, Digits, Whitespace, WhitespaceSplit, Punctuation, BertPreTokenizer, CharDelimiterSplit";

    private static readonly Lazy<Regex> Gpt2Regex = new(() => PreTokenizerRegex.Create(PreTokenizerRegex.Gpt2Pattern));

    /// <summary>Splits one piece into <paramref name="destination"/>.</summary>
    public abstract void Split(Piece piece, List<Piece> destination);

    /// <summary>Applies this step to every piece.</summary>
    public virtual List<Piece> Apply(List<Piece> pieces)
    {
        var result = new List<Piece>(pieces.Count * 2);
        foreach (var piece in pieces) Split(piece, result);
        return result;
    }

    /// <summary>The pre-tokenizer a tokenizer.json node describes; null for JSON null.</summary>
    public static PreTokenizer? Read(JsonNode? node, TokenizerJsonReader reader)
    {
        if (node is null) return null;
        string type = reader.TypeOf(node, "pre_tokenizer");
        return type switch
        {
            "Sequence" => new SequencePreTokenizer(reader.Children(node, "pretokenizers", "pre_tokenizer").Select(n => Read(n, reader) ?? throw reader.Bad("pre_tokenizer Sequence entry is null")).ToArray()),
            "ByteLevel" => new ByteLevelPreTokenizer(TokenizerJsonReader.Flag(node, "add_prefix_space"),
                TokenizerJsonReader.Flag(node, "use_regex", true) ? Gpt2Regex.Value : null),
            "Split" => new RegexSplitPreTokenizer(reader.Pattern(node, "Split pre_tokenizer"), ReadBehavior(node, reader, SplitBehavior.Isolated),
                TokenizerJsonReader.Flag(node, "invert")),
            "Metaspace" => MetaspacePreTokenizer.FromJson(node, reader),
            "Digits" => new CharSplitPreTokenizer(Rune.IsNumber,
                TokenizerJsonReader.Flag(node, "individual_digits") ? SplitBehavior.Isolated : SplitBehavior.Contiguous),
            "Whitespace" => new RegexSplitPreTokenizer(new Regex(@"\w+|[^\w\s]+", RegexOptions.CultureInvariant), SplitBehavior.Removed, invert: true),
            "WhitespaceSplit" => new CharSplitPreTokenizer(Rune.IsWhiteSpace, SplitBehavior.Removed),
            "Punctuation" => new CharSplitPreTokenizer(IsPunctuation, ReadBehavior(node, reader, SplitBehavior.Isolated)),
            "BertPreTokenizer" => new SequencePreTokenizer([
                new CharSplitPreTokenizer(Rune.IsWhiteSpace, SplitBehavior.Removed),
                new CharSplitPreTokenizer(IsPunctuation, SplitBehavior.Isolated)]),
            "CharDelimiterSplit" => ReadCharDelimiter(node, reader),
            _ => throw reader.Unsupported("pre_tokenizer", type, Supported),
        };
    }

    /// <summary>ASCII punctuation or a Unicode punctuation category (Pc, Pd, Ps, Pe, Pi, Pf, Po).</summary>
    public static bool IsPunctuation(Rune r) => (r.Value is > 0x20 and < 0x7F && !char.IsAsciiLetterOrDigit((char)r.Value))
        || Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    private static CharSplitPreTokenizer ReadCharDelimiter(JsonNode node, TokenizerJsonReader reader)
    {
        var delimiter = Rune.GetRuneAt(reader.Char(node, "delimiter", " ", "CharDelimiterSplit pre_tokenizer"), 0);
        return new CharSplitPreTokenizer(r => r == delimiter, SplitBehavior.Removed);
    }

    private static SplitBehavior ReadBehavior(JsonNode node, TokenizerJsonReader reader, SplitBehavior fallback)
    {
        string? name = TokenizerJsonReader.String(node, "behavior");
        if (name is null) return fallback;
        return Enum.TryParse(name, out SplitBehavior behavior) && Enum.IsDefined(behavior)
            ? behavior
            : throw reader.Unsupported("pre_tokenizer split behavior", name, string.Join(", ", Enum.GetNames<SplitBehavior>()));
    }
}

/// <summary>Applies its pre-tokenizers in order.</summary>
internal sealed class SequencePreTokenizer(PreTokenizer[] steps) : PreTokenizer
{
    public override void Split(Piece piece, List<Piece> destination) => destination.AddRange(Apply([piece]));

    public override List<Piece> Apply(List<Piece> pieces)
    {
        foreach (var step in steps) pieces = step.Apply(pieces);
        return pieces;
    }
}

/// <summary>Splits at the matches of a regular expression (tokenizer.json's "Split", and "Whitespace").</summary>
internal sealed class RegexSplitPreTokenizer(Regex pattern, SplitBehavior behavior, bool invert) : PreTokenizer
{
    public override void Split(Piece piece, List<Piece> destination)
    {
        Splitter.Apply(piece, PreTokenizerRegex.Matches(pattern, piece.Text), behavior, invert, destination);
    }
}

/// <summary>Splits at every code point a predicate selects, each its own match (Digits, WhitespaceSplit, Punctuation).</summary>
internal sealed class CharSplitPreTokenizer(Func<Rune, bool> isDelimiter, SplitBehavior behavior) : PreTokenizer
{
    public override void Split(Piece piece, List<Piece> destination)
    {
        var matches = new List<(int Start, int End)>();
        string text = piece.Text;
        for (int i = 0; i < text.Length;)
        {
            Rune.DecodeFromUtf16(text.AsSpan(i), out var r, out int length);
            if (isDelimiter(r)) matches.Add((i, i + length));
            i += length;
        }
        Splitter.Apply(piece, matches, behavior, invert: false, destination);
    }
}

/// <summary>GPT-2's byte level: an optional leading space, the GPT-2 word regex, then every UTF-8 byte as its character.</summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, Regex? pattern) : PreTokenizer
{
    private readonly RegexSplitPreTokenizer? words = pattern is null ? null : new(pattern, SplitBehavior.Isolated, invert: false);

    public override void Split(Piece piece, List<Piece> destination)
    {
        var p = addPrefixSpace && !piece.Text.StartsWith(' ') ? piece with { Text = " " + piece.Text } : piece;
        int first = destination.Count;
        if (words is null) destination.Add(p);
        else words.Split(p, destination);
        for (int i = first; i < destination.Count; i++) destination[i] = destination[i] with { Text = ByteLevel.Encode(destination[i].Text) };
    }
}

/// <summary>SentencePiece's word boundary: spaces become the replacement ("▁"), which may be prepended and split before.</summary>
internal sealed class MetaspacePreTokenizer(string replacement, PrependScheme scheme, bool split) : PreTokenizer
{
    public static MetaspacePreTokenizer FromJson(JsonNode node, TokenizerJsonReader reader) =>
        new(reader.Char(node, "replacement", "\u2581", "Metaspace pre_tokenizer"), PrependSchemes.Read(node, reader, "Metaspace pre_tokenizer"),
            TokenizerJsonReader.Flag(node, "split", true));

    public override void Split(Piece piece, List<Piece> destination)
    {
        string text = piece.Text.Replace(" ", replacement, StringComparison.Ordinal);
        bool prepend = scheme == PrependScheme.Always || (scheme == PrependScheme.First && piece.AtStart);
        if (prepend && !text.StartsWith(replacement, StringComparison.Ordinal)) text = replacement + text;
        var replaced = piece with { Text = text };
        if (!split)
        {
            destination.Add(replaced);
            return;
        }
        var matches = new List<(int Start, int End)>();
        for (int i = text.IndexOf(replacement, StringComparison.Ordinal); i >= 0; i = text.IndexOf(replacement, i + replacement.Length, StringComparison.Ordinal))
            matches.Add((i, i + replacement.Length));
        Splitter.Apply(replaced, matches, SplitBehavior.MergedWithNext, invert: false, destination);
    }
}

/// <summary>When Metaspace puts the replacement in front of a word.</summary>
internal enum PrependScheme
{
    Always,
    First,
    Never,
}

/// <summary>Reads Metaspace's "prepend_scheme", or the legacy "add_prefix_space" flag.</summary>
internal static class PrependSchemes
{
    public static PrependScheme Read(JsonNode node, TokenizerJsonReader reader, string component) => TokenizerJsonReader.String(node, "prepend_scheme") switch
    {
        "always" => PrependScheme.Always,
        "first" => PrependScheme.First,
        "never" => PrependScheme.Never,
        null => TokenizerJsonReader.Flag(node, "add_prefix_space", true) ? PrependScheme.Always : PrependScheme.Never,
        var other => throw reader.Bad($"{component} prepend_scheme \"{other}\" is not always, first or never"),
    };
}

/// <summary>Hugging Face's split of a text by delimiter matches, one function for all five behaviors.</summary>
internal static class Splitter
{
    /// <summary>
    /// Cuts <paramref name="piece"/> at <paramref name="matches"/> (sorted, non-overlapping, non-empty spans; with
    /// <paramref name="invert"/> the text between them is the delimiter instead). Empty pieces are dropped.
    /// </summary>
    public static void Apply(Piece piece, List<(int Start, int End)> matches, SplitBehavior behavior, bool invert, List<Piece> destination)
    {
        string text = piece.Text;
        var spans = new List<(int Start, int End, bool Delimiter)>(matches.Count * 2 + 1);
        int last = 0;
        foreach (var (start, end) in matches)
        {
            if (start > last) spans.Add((last, start, invert));
            spans.Add((start, end, !invert));
            last = end;
        }
        if (last < text.Length) spans.Add((last, text.Length, invert));

        var kept = new List<(int Start, int End)>(spans.Count);
        switch (behavior)
        {
            case SplitBehavior.Isolated:
                kept.AddRange(spans.Select(s => (s.Start, s.End)));
                break;
            case SplitBehavior.Removed:
                kept.AddRange(spans.Where(s => !s.Delimiter).Select(s => (s.Start, s.End)));
                break;
            case SplitBehavior.Contiguous:
            case SplitBehavior.MergedWithPrevious:
                bool previous = false;
                foreach (var s in spans)
                {
                    bool join = behavior == SplitBehavior.Contiguous ? s.Delimiter == previous : s.Delimiter && !previous;
                    if (join && kept.Count > 0) kept[^1] = (kept[^1].Start, s.End);
                    else kept.Add((s.Start, s.End));
                    previous = s.Delimiter;
                }
                break;
            case SplitBehavior.MergedWithNext:
                bool next = false;
                for (int i = spans.Count - 1; i >= 0; i--)
                {
                    var s = spans[i];
                    if (s.Delimiter && !next && kept.Count > 0) kept[^1] = (s.Start, kept[^1].End);
                    else kept.Add((s.Start, s.End));
                    next = s.Delimiter;
                }
                kept.Reverse();
                break;
        }
        foreach (var (start, end) in kept)
        {
            if (end > start) destination.Add(new Piece(text[start..end], piece.AtStart && start == 0));
        }
    }
}
