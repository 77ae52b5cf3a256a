// AddedTokenMatcher: finds added tokens in text the way Hugging Face's AddedVocabulary does: leftmost-longest matches
// (a trie walked from each position), single_word tokens only between non-word characters, lstrip/rstrip absorbing the
// white space beside a match.
namespace Rebel.Models.Tokenization;

/// <summary>Leftmost-longest matcher of a set of added tokens.</summary>
internal sealed class AddedTokenMatcher
{
    private readonly Node root = new();

    /// <summary>Builds the matcher; <paramref name="patterns"/> gives each token the text to look for.</summary>
    public AddedTokenMatcher(IEnumerable<(string Pattern, AddedToken Token)> patterns)
    {
        foreach (var (pattern, token) in patterns)
        {
            if (pattern.Length == 0) continue;
            var node = root;
            foreach (char c in pattern)
            {
                node.Children ??= [];
                if (!node.Children.TryGetValue(c, out var child)) node.Children[c] = child = new Node();
                node = child;
            }
            node.Token ??= token;
        }
    }

    /// <summary>True when there is nothing to match.</summary>
    public bool IsEmpty => root.Children is null;

    /// <summary>The matches in <paramref name="text"/>: (start, end, token), sorted and non-overlapping, strips applied.</summary>
    public List<(int Start, int End, AddedToken Token)> Find(string text)
    {
        var result = new List<(int, int, AddedToken)>();
        if (IsEmpty) return result;
        int previousEnd = 0;
        int i = 0;
        while (i < text.Length)
        {
            var (length, token) = Longest(text, i);
            if (token is null)
            {
                i++;
                continue;
            }
            int start = i, end = i + length;
            i = end;
            if (token.SingleWord && ((start > 0 && IsWordChar(text[start - 1])) || (end < text.Length && IsWordChar(text[end])))) continue;
            if (token.LStrip)
            {
                while (start > previousEnd && char.IsWhiteSpace(text[start - 1])) start--;
            }
            if (token.RStrip)
            {
                while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
                i = end;
            }
            result.Add((start, end, token));
            previousEnd = end;
        }
        return result;
    }

    private (int Length, AddedToken? Token) Longest(string text, int start)
    {
        var node = root;
        (int, AddedToken?) best = (0, null);
        for (int j = start; j < text.Length && node.Children is not null && node.Children.TryGetValue(text[j], out var child); j++)
        {
            node = child;
            if (node.Token is not null) best = (j - start + 1, node.Token);
        }
        return best;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_' || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.NonSpacingMark
        or System.Globalization.UnicodeCategory.ConnectorPunctuation;

    private sealed class Node
    {
        public Dictionary<char, Node>? Children { get; set; }

        public AddedToken? Token { get; set; }
    }
}
