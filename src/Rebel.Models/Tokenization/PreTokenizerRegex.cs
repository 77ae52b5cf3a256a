// PreTokenizerRegex: the word-splitting patterns of byte-level BPE tokenizers, translated from the Oniguruma/Rust syntax of
// tokenizer.json to .NET regular expressions.
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Rebel.Models.Tokenization;

/// <summary>Pre-tokenization patterns and their translation to .NET.</summary>
public static class PreTokenizerRegex
{
    /// <summary>GPT-2's pattern, used by a ByteLevel pre-tokenizer with use_regex = true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>
    /// Builds a .NET regex for a tokenizer.json pattern. Possessive quantifiers (X?+, X*+, X++, X{n,m}+), which .NET lacks,
    /// become atomic groups (?&gt;X?) with the same meaning; \p{..} classes, (?i:..) groups and lookarounds carry over.
    /// .NET matches UTF-16 code units: use <see cref="Matches"/> so that characters outside the Basic Multilingual Plane
    /// count as one character of their own Unicode category.
    /// </summary>
    public static Regex Create(string pattern) =>
        new(Translate(pattern), RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(10));

    /// <summary>
    /// The non-empty matches of <paramref name="regex"/> in <paramref name="text"/> as (start, end) offsets, matched code point by
    /// code point as Rust's and JavaScript's Unicode regexes do: each surrogate pair stands in for the match as one BMP
    /// character of the same general category (e.g. 𝟙, a decimal digit, as U+A620 VAI DIGIT ZERO), so \p{N}, \p{L}, ranges
    /// and counted repetitions see one character where .NET would see two surrogates.
    /// </summary>
    public static List<(int Start, int End)> Matches(Regex regex, string text)
    {
        ArgumentNullException.ThrowIfNull(regex);
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<(int, int)>();
        int firstSurrogate = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (firstSurrogate < 0)
        {
            foreach (var m in regex.EnumerateMatches(text))
            {
                if (m.Length > 0) result.Add((m.Index, m.Index + m.Length));
            }
            return result;
        }
        var stand = new StringBuilder(text.Length);
        var offsets = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length;)
        {
            offsets.Add(i);
            if (char.IsSurrogatePair(text, i))
            {
                stand.Append(StandIn(Rune.GetUnicodeCategory(new Rune(text[i], text[i + 1]))));
                i += 2;
            }
            else
            {
                stand.Append(text[i]);
                i++;
            }
        }
        offsets.Add(text.Length);
        foreach (var m in regex.EnumerateMatches(stand.ToString()))
        {
            if (m.Length > 0) result.Add((offsets[m.Index], offsets[m.Index + m.Length]));
        }
        return result;
    }

    /// <summary>A rarely used BMP character of each general category (astral characters are never space separators).</summary>
    private static char StandIn(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter => '\uA640',
        UnicodeCategory.LowercaseLetter => '\uA641',
        UnicodeCategory.TitlecaseLetter => '\u01C5',
        UnicodeCategory.ModifierLetter => '\uA67F',
        UnicodeCategory.OtherLetter => '\uA840',
        UnicodeCategory.NonSpacingMark => '\uA67C',
        UnicodeCategory.SpacingCombiningMark => '\uA823',
        UnicodeCategory.EnclosingMark => '\u20DD',
        UnicodeCategory.DecimalDigitNumber => '\uA620',
        UnicodeCategory.LetterNumber => '\uA6E6',
        UnicodeCategory.OtherNumber => '\uA830',
        UnicodeCategory.ConnectorPunctuation => '\u2040',
        UnicodeCategory.DashPunctuation => '\u2E1A',
        UnicodeCategory.OpenPunctuation => '\u2E22',
        UnicodeCategory.ClosePunctuation => '\u2E23',
        UnicodeCategory.InitialQuotePunctuation => '\u2E02',
        UnicodeCategory.FinalQuotePunctuation => '\u2E03',
        UnicodeCategory.OtherPunctuation => '\uA60D',
        UnicodeCategory.MathSymbol => '\u2A00',
        UnicodeCategory.CurrencySymbol => '\u20B0',
        UnicodeCategory.ModifierSymbol => '\uA720',
        UnicodeCategory.OtherSymbol => '\uA836',
        UnicodeCategory.Format => '\u2061',
        UnicodeCategory.PrivateUse => '\uE000',
        _ => '\u0378',
    };

    /// <summary>Rewrites possessive quantifiers as atomic groups; everything else is copied.</summary>
    public static string Translate(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var sb = new StringBuilder(pattern.Length + 16);
        var groupStarts = new Stack<int>();
        int atomStart = -1;
        int i = 0;
        while (i < pattern.Length)
        {
            char c = pattern[i];
            if (c == '\\')
            {
                atomStart = sb.Length;
                int end = EscapeEnd(pattern, i);
                sb.Append(pattern, i, end - i);
                i = end;
            }
            else if (c == '[')
            {
                atomStart = sb.Length;
                int end = ClassEnd(pattern, i);
                sb.Append(pattern, i, end - i);
                i = end;
            }
            else if (c == '(')
            {
                groupStarts.Push(sb.Length);
                sb.Append(c);
                atomStart = -1;
                i++;
            }
            else if (c == ')')
            {
                sb.Append(c);
                atomStart = groupStarts.Count > 0 ? groupStarts.Pop() : -1;
                i++;
            }
            else if (c is '*' or '+' or '?' || (c == '{' && QuantifierEnd(pattern, i) > 0))
            {
                int end = c == '{' ? QuantifierEnd(pattern, i) : i + 1;
                sb.Append(pattern, i, end - i);
                i = end;
                if (i < pattern.Length && pattern[i] == '+' && atomStart >= 0)
                {
                    sb.Insert(atomStart, "(?>");
                    sb.Append(')');
                    i++;
                }
                else if (i < pattern.Length && pattern[i] == '?')
                {
                    sb.Append('?');
                    i++;
                }
                atomStart = -1;
            }
            else
            {
                atomStart = sb.Length;
                sb.Append(c);
                i++;
            }
        }
        return sb.ToString();
    }

    private static int EscapeEnd(string p, int i)
    {
        if (i + 1 >= p.Length) return p.Length;
        char k = p[i + 1];
        if ((k is 'p' or 'P' or 'x') && i + 2 < p.Length && p[i + 2] == '{')
        {
            int close = p.IndexOf('}', i + 2);
            return close < 0 ? p.Length : close + 1;
        }
        if (k == 'x') return Math.Min(p.Length, i + 4);
        if (k == 'u') return Math.Min(p.Length, i + 6);
        return i + 2;
    }

    private static int ClassEnd(string p, int i)
    {
        int j = i + 1;
        if (j < p.Length && p[j] == '^') j++;
        if (j < p.Length && p[j] == ']') j++;
        int depth = 1;
        while (j < p.Length)
        {
            if (p[j] == '\\') j += 2;
            else if (p[j] == '[') { depth++; j++; }
            else if (p[j] == ']')
            {
                depth--;
                j++;
                if (depth == 0) return j;
            }
            else j++;
        }
        return p.Length;
    }

    private static int QuantifierEnd(string p, int i)
    {
        int j = i + 1;
        bool digits = false;
        while (j < p.Length && (char.IsAsciiDigit(p[j]) || p[j] == ','))
        {
            digits |= char.IsAsciiDigit(p[j]);
            j++;
        }
        return digits && j < p.Length && p[j] == '}' ? j + 1 : -1;
    }
}
