// PreTokenizerRegex: the word-splitting patterns of byte-level BPE tokenizers, translated from the Oniguruma/Rust syntax of
// tokenizer.json to .NET regular expressions.
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
    /// Limitation: .NET matches UTF-16 code units, so letters and digits outside the Basic Multilingual Plane count as
    /// symbols (emoji are symbols either way).
    /// </summary>
    public static Regex Create(string pattern) =>
        new(Translate(pattern), RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(10));

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
