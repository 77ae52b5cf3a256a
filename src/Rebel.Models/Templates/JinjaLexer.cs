// JinjaLexer: splits template source into text and tag tokens, applying Jinja's whitespace control the way transformers
// configures it (trim_blocks, lstrip_blocks, "-" modifiers, no trailing newline kept).
using System.Globalization;
using System.Text;

namespace Rebel.Models.Templates;

/// <summary>Kinds of tokens.</summary>
internal enum TokenKind
{
    Text,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    End,
}

/// <summary>One token with its 1-based position.</summary>
internal sealed record Token(TokenKind Kind, string Value, int Line, int Column)
{
    public override string ToString() => Kind switch
    {
        TokenKind.End => "end of template",
        TokenKind.Text => "text",
        TokenKind.String => $"string '{Value}'",
        _ => $"'{Value}'",
    };
}

/// <summary>Turns template source into tokens.</summary>
internal sealed class JinjaLexer(string source, string sourceName)
{
    private static readonly string[] Operators =
        ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "=", "<", ">"];

    private readonly List<Token> tokens = [];
    private int pos;
    private bool stripNextText;
    private bool trimNextNewline;
    private List<int>? lineStarts;

    /// <summary>The tokens of the whole source, ending with an End token.</summary>
    public List<Token> Tokenize()
    {
        string text = source.EndsWith('\n') ? source[..^1] : source;
        while (pos < text.Length)
        {
            int start = FindTag(text, pos);
            int textEnd = start < 0 ? text.Length : start;
            AddText(text, pos, textEnd, start < 0 ? null : text.Substring(start, 3 <= text.Length - start ? 3 : 2));
            if (start < 0) break;
            pos = start;
            char kind = text[pos + 1];
            if (kind == '#') SkipComment(text);
            else if (kind == '%' && IsRaw(text)) ReadRaw(text);
            else ReadTag(text, kind == '{' ? TokenKind.VariableBegin : TokenKind.BlockBegin, kind == '{' ? "}}" : "%}");
        }
        var (line, column) = Position(text.Length);
        tokens.Add(new Token(TokenKind.End, "", line, column));
        return tokens;
    }

    private static int FindTag(string text, int from)
    {
        for (int i = text.IndexOf('{', from); i >= 0 && i + 1 < text.Length; i = text.IndexOf('{', i + 1))
        {
            if (text[i + 1] is '{' or '%' or '#') return i;
        }
        return -1;
    }

    // Adds text [from, to) before a tag whose first three characters are opener (null at the end of the source).
    private void AddText(string text, int from, int to, string? opener)
    {
        string piece = text[from..to];
        int startOffset = from;
        bool lineStarting = from == 0;
        if (stripNextText)
        {
            string trimmed = piece.TrimStart();
            lineStarting = piece.Length > trimmed.Length && piece[piece.Length - trimmed.Length - 1] == '\n';
            startOffset += piece.Length - trimmed.Length;
            piece = trimmed;
        }
        else if (trimNextNewline)
        {
            int cut = piece.StartsWith("\r\n", StringComparison.Ordinal) ? 2 : piece.StartsWith('\n') ? 1 : 0;
            lineStarting = cut > 0;
            piece = piece[cut..];
            startOffset += cut;
        }
        stripNextText = false;
        trimNextNewline = false;
        if (opener is not null)
        {
            bool minus = opener.Length == 3 && opener[2] == '-';
            bool plus = opener.Length == 3 && opener[2] == '+';
            if (minus) piece = piece.TrimEnd();
            else if (opener[1] is '%' or '#' && !plus)
            {
                int lineStart = piece.LastIndexOf('\n') + 1;
                bool atLineStart = lineStart > 0 || lineStarting;
                if (atLineStart && piece.AsSpan(lineStart).Trim(" \t").IsEmpty) piece = piece[..lineStart];
            }
        }
        if (piece.Length > 0)
        {
            var (line, column) = Position(startOffset);
            tokens.Add(new Token(TokenKind.Text, piece, line, column));
        }
    }

    private void SkipComment(string text)
    {
        int end = text.IndexOf("#}", pos + 2, StringComparison.Ordinal);
        if (end < 0) throw Error(pos, "unclosed comment '{#'");
        SetTrailing(text[end - 1] == '-' && end - 1 >= pos + 2, isBlock: true);
        pos = end + 2;
    }

    private bool IsRaw(string text)
    {
        int i = pos + 2;
        if (i < text.Length && text[i] is '-' or '+') i++;
        while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
        return string.CompareOrdinal(text, i, "raw", 0, 3) == 0 && i + 3 < text.Length && !char.IsLetterOrDigit(text[i + 3]) && text[i + 3] != '_';
    }

    private void ReadRaw(string text)
    {
        int close = text.IndexOf("%}", pos, StringComparison.Ordinal);
        if (close < 0) throw Error(pos, "unclosed '{% raw %}'");
        SetTrailing(text[close - 1] == '-', isBlock: true);
        int bodyStart = close + 2;
        int search = bodyStart;
        while (true)
        {
            int open = text.IndexOf("{%", search, StringComparison.Ordinal);
            if (open < 0) throw Error(pos, "'{% raw %}' without '{% endraw %}'");
            int i = open + 2;
            if (i < text.Length && text[i] is '-' or '+') i++;
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (string.CompareOrdinal(text, i, "endraw", 0, 6) == 0)
            {
                int end = text.IndexOf("%}", i, StringComparison.Ordinal);
                if (end < 0) throw Error(open, "unclosed '{% endraw %}'");
                AddText(text, bodyStart, open, text.Substring(open, 3));
                SetTrailing(text[end - 1] == '-', isBlock: true);
                pos = end + 2;
                return;
            }
            search = open + 2;
        }
    }

    private void SetTrailing(bool minus, bool isBlock)
    {
        stripNextText = minus;
        trimNextNewline = !minus && isBlock;
    }

    private void ReadTag(string text, TokenKind begin, string closer)
    {
        var (line, column) = Position(pos);
        tokens.Add(new Token(begin, begin == TokenKind.VariableBegin ? "{{" : "{%", line, column));
        pos += 2;
        if (pos < text.Length && text[pos] is '-' or '+') pos++;
        int opener = tokens.Count - 1;
        int depth = 0;
        while (true)
        {
            while (pos < text.Length && char.IsWhiteSpace(text[pos])) pos++;
            if (pos >= text.Length) throw Error(tokens[opener].Line, tokens[opener].Column, $"unclosed tag (expected '{closer}')");
            bool modified = text[pos] is '-' or '+' && string.CompareOrdinal(text, pos + 1, closer, 0, 2) == 0;
            if (depth == 0 && (modified || string.CompareOrdinal(text, pos, closer, 0, 2) == 0))
            {
                (line, column) = Position(pos);
                tokens.Add(new Token(begin == TokenKind.VariableBegin ? TokenKind.VariableEnd : TokenKind.BlockEnd, closer, line, column));
                bool minus = modified && text[pos] == '-', plus = modified && text[pos] == '+';
                pos += modified ? 3 : 2;
                SetTrailing(minus, begin == TokenKind.BlockBegin && !plus);
                return;
            }
            ReadExpressionToken(text);
            if (tokens[^1].Kind == TokenKind.Operator)
            {
                // Brackets nest, so "{{ {'a': {}} }}" closes at the last "}}", as Jinja's lexer balances them.
                if (tokens[^1].Value is "(" or "[" or "{") depth++;
                else if (tokens[^1].Value is ")" or "]" or "}" && depth > 0) depth--;
            }
        }
    }

    private void ReadExpressionToken(string text)
    {
        var (line, column) = Position(pos);
        char c = text[pos];
        if (char.IsLetter(c) || c == '_')
        {
            int start = pos;
            while (pos < text.Length && (char.IsLetterOrDigit(text[pos]) || text[pos] == '_')) pos++;
            tokens.Add(new Token(TokenKind.Name, text[start..pos], line, column));
        }
        else if (char.IsAsciiDigit(c))
        {
            int start = pos;
            while (pos < text.Length && (char.IsAsciiDigit(text[pos]) || text[pos] == '_')) pos++;
            bool isFloat = false;
            if (pos + 1 < text.Length && text[pos] == '.' && char.IsAsciiDigit(text[pos + 1]))
            {
                isFloat = true;
                pos++;
                while (pos < text.Length && char.IsAsciiDigit(text[pos])) pos++;
            }
            if (pos < text.Length && text[pos] is 'e' or 'E' && pos + 1 < text.Length && (char.IsAsciiDigit(text[pos + 1]) || text[pos + 1] is '+' or '-'))
            {
                isFloat = true;
                pos += 2;
                while (pos < text.Length && char.IsAsciiDigit(text[pos])) pos++;
            }
            tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, text[start..pos].Replace("_", "", StringComparison.Ordinal), line, column));
        }
        else if (c is '\'' or '"')
        {
            tokens.Add(new Token(TokenKind.String, ReadString(text, c, line, column), line, column));
        }
        else
        {
            foreach (string op in Operators)
            {
                if (string.CompareOrdinal(text, pos, op, 0, op.Length) != 0) continue;
                tokens.Add(new Token(TokenKind.Operator, op, line, column));
                pos += op.Length;
                return;
            }
            throw Error(line, column, $"unexpected character '{c}'");
        }
    }

    private string ReadString(string text, char quote, int line, int column)
    {
        var sb = new StringBuilder();
        pos++;
        while (true)
        {
            if (pos >= text.Length) throw Error(line, column, "unterminated string literal");
            char c = text[pos++];
            if (c == quote) return sb.ToString();
            if (c != '\\' || pos >= text.Length)
            {
                sb.Append(c);
                continue;
            }
            char e = text[pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '0': sb.Append('\0'); break;
                case '\\' or '\'' or '"': sb.Append(e); break;
                case '\n': break;
                case 'x': sb.Append(HexEscape(text, 2, line, column)); break;
                case 'u': sb.Append(HexEscape(text, 4, line, column)); break;
                case 'U': sb.Append(HexEscape(text, 8, line, column)); break;
                default: sb.Append('\\').Append(e); break;
            }
        }
    }

    private string HexEscape(string text, int digits, int line, int column)
    {
        if (pos + digits > text.Length || !int.TryParse(text.AsSpan(pos, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code))
            throw Error(line, column, "bad \\x/\\u escape in string literal");
        pos += digits;
        return char.ConvertFromUtf32(code);
    }

    private (int Line, int Column) Position(int offset)
    {
        lineStarts ??= [0, .. source.Select((c, i) => (c, i)).Where(p => p.c == '\n').Select(p => p.i + 1)];
        int line = lineStarts.BinarySearch(offset);
        if (line < 0) line = ~line - 1;
        return (line + 1, offset - lineStarts[line] + 1);
    }

    private TemplateException Error(int offset, string message)
    {
        var (line, column) = Position(offset);
        return Error(line, column, message);
    }

    private TemplateException Error(int line, int column, string message) => TemplateException.At(sourceName, line, column, message);
}
