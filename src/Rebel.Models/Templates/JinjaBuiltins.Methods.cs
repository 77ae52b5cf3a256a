// JinjaBuiltins.Methods: the Python methods templates call on values: str (strip, split, startswith, replace, format, ...),
// dict (get, items, keys, values) and list (append, index, count, pop, ...).
using System.Globalization;
using System.Text;

namespace Rebel.Models.Templates;

internal static partial class JinjaBuiltins
{
    // A bound method of obj, or null when obj has no method of that name.
    private static JinjaCallable? Method(object? obj, string name) => obj switch
    {
        string s => StringMethod(s, name),
        Dictionary<string, object?> d => DictMethod(d, name),
        List<object?> l => ListMethod(l, name),
        _ => null,
    };

    private static JinjaCallable? StringMethod(string s, string name) => name switch
    {
        "strip" => (a, k) => Strip(s, a, k, left: true, right: true),
        "lstrip" => (a, k) => Strip(s, a, k, left: true, right: false),
        "rstrip" => (a, k) => Strip(s, a, k, left: false, right: true),
        "upper" => (_, _) => s.ToUpperInvariant(),
        "lower" => (_, _) => s.ToLowerInvariant(),
        "title" => (_, _) => Title(s),
        "capitalize" => (_, _) => Capitalize(s),
        "startswith" => (a, k) => Affix(s, Arg(a, k, 0, "prefix"), (x, p) => x.StartsWith(p, StringComparison.Ordinal)),
        "endswith" => (a, k) => Affix(s, Arg(a, k, 0, "suffix"), (x, p) => x.EndsWith(p, StringComparison.Ordinal)),
        "split" => (a, k) => Split(s, Arg(a, k, 0, "sep"), IntArg(a, k, 1, "maxsplit", -1), fromRight: false),
        "rsplit" => (a, k) => Split(s, Arg(a, k, 0, "sep"), IntArg(a, k, 1, "maxsplit", -1), fromRight: true),
        "splitlines" => (_, _) => s.Split('\n').Select(x => (object?)x.TrimEnd('\r')).ToList() is var lines && s.EndsWith('\n') ? lines[..^1] : lines,
        "replace" => (a, k) => Replace(s, StringArg(a, k, 0, "old"), StringArg(a, k, 1, "new"), IntArg(a, k, 2, "count", -1)),
        "find" => (a, k) => (long)CodePointIndex(s, s.IndexOf(StringArg(a, k, 0, "sub"), StringComparison.Ordinal)),
        "rfind" => (a, k) => (long)CodePointIndex(s, s.LastIndexOf(StringArg(a, k, 0, "sub"), StringComparison.Ordinal)),
        "count" => (a, k) => (long)CountOccurrences(s, StringArg(a, k, 0, "sub")),
        "join" => (a, k) => string.Join(s, AsList(Arg(a, k, 0, "iterable")).Select(x => AsString(x, "str.join"))),
        "isdigit" => (_, _) => s.Length > 0 && s.All(char.IsDigit),
        "isspace" => (_, _) => s.Length > 0 && s.All(char.IsWhiteSpace),
        "isalpha" => (_, _) => s.Length > 0 && s.All(char.IsLetter),
        "isupper" => (_, _) => s.Any(char.IsLetter) && !s.Any(char.IsLower),
        "islower" => (_, _) => s.Any(char.IsLetter) && !s.Any(char.IsUpper),
        "format" => (a, k) => Format(s, a, k),
        _ => null,
    };

    private static JinjaCallable? DictMethod(Dictionary<string, object?> d, string name) => name switch
    {
        "get" => (a, k) => d.TryGetValue(StringKey(Arg(a, k, 0, "key")), out var v) ? v : Arg(a, k, 1, "default"),
        "items" => (_, _) => d.Select(kv => (object?)new JinjaTuple([kv.Key, kv.Value])).ToList(),
        "keys" => (_, _) => d.Keys.Select(x => (object?)x).ToList(),
        "values" => (_, _) => d.Values.ToList(),
        "pop" => (a, k) => d.Remove(StringKey(Arg(a, k, 0, "key")), out var v) ? v
            : HasArg(a, k, 1, "default") ? Arg(a, k, 1, "default") : throw new InvalidOperationException("dict.pop: no such key"),
        "update" => (a, k) =>
        {
            if (a.Count > 0 && a[0] is Dictionary<string, object?> other)
            {
                foreach (var (key, value) in other) d[key] = value;
            }
            foreach (var (key, value) in k) d[key] = value;
            return null;
        },
        _ => null,
    };

    private static JinjaCallable? ListMethod(List<object?> l, string name) => name switch
    {
        "append" => (a, _) => { l.Add(a.Count > 0 ? a[0] : null); return null; },
        "extend" => (a, _) => { l.AddRange(AsList(a.Count > 0 ? a[0] : null)); return null; },
        "insert" => (a, _) => { l.Insert((int)Math.Clamp((long)a[0]!, 0, l.Count), a[1]); return null; },
        "pop" => (a, k) =>
        {
            if (l.Count == 0) throw new InvalidOperationException("pop from empty list");
            long i = IntArg(a, k, 0, "index", -1);
            int at = (int)(i < 0 ? i + l.Count : i);
            var v = l[at];
            l.RemoveAt(at);
            return v;
        },
        "index" => (a, _) =>
        {
            int i = l.FindIndex(x => JinjaValue.Equal(x, a.Count > 0 ? a[0] : null));
            return i >= 0 ? (long)i : throw new InvalidOperationException($"{JinjaValue.Repr(a.Count > 0 ? a[0] : null)} is not in list");
        },
        "count" => (a, _) => (long)l.Count(x => JinjaValue.Equal(x, a.Count > 0 ? a[0] : null)),
        _ => null,
    };

    private static string StringKey(object? key) => key as string ?? JinjaValue.Str(key);

    private static string Strip(string s, List<object?> args, Dictionary<string, object?> kwargs, bool left, bool right)
    {
        var chars = Arg(args, kwargs, 0, "chars");
        if (chars is null or JinjaUndefined) return left && right ? s.Trim() : left ? s.TrimStart() : s.TrimEnd();
        char[] set = AsString(chars, "strip").ToCharArray();
        return left && right ? s.Trim(set) : left ? s.TrimStart(set) : s.TrimEnd(set);
    }

    private static bool Affix(string s, object? affix, Func<string, string, bool> test) => affix switch
    {
        string p => test(s, p),
        List<object?> options => options.Any(o => test(s, AsString(o, "startswith/endswith"))),
        _ => throw new InvalidOperationException($"startswith/endswith needs a string or a tuple of strings, not {JinjaValue.TypeName(affix)}"),
    };

    private static List<object?> Split(string s, object? separator, long maxSplit, bool fromRight)
    {
        if (separator is null or JinjaUndefined)
        {
            var words = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (maxSplit < 0 || words.Length <= maxSplit) return [.. words];
            return SplitWhitespaceLimited(s, (int)maxSplit, fromRight);
        }
        string sep = AsString(separator, "split");
        if (sep.Length == 0) throw new InvalidOperationException("empty separator");
        var parts = s.Split(sep);
        if (maxSplit < 0 || parts.Length - 1 <= maxSplit) return [.. parts];
        int keep = (int)maxSplit;
        return fromRight
            ? [string.Join(sep, parts[..^keep]), .. parts[^keep..]]
            : [.. parts[..keep], string.Join(sep, parts[keep..])];
    }

    private static List<object?> SplitWhitespaceLimited(string s, int maxSplit, bool fromRight)
    {
        if (fromRight) return [.. SplitWhitespaceLimited(new string([.. s.Reverse()]), maxSplit, fromRight: false).Select(x => (object?)new string([.. ((string)x!).Reverse()])).Reverse()];
        var result = new List<object?>();
        int i = 0;
        while (true)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
            if (i >= s.Length) return result;
            if (result.Count == maxSplit)
            {
                result.Add(s[i..].TrimEnd());
                return result;
            }
            int start = i;
            while (i < s.Length && !char.IsWhiteSpace(s[i])) i++;
            result.Add(s[start..i]);
        }
    }

    private static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0) return old.Length == 0 ? string.Join(replacement, ["", .. JinjaValue.Characters(s), ""]) : s.Replace(old, replacement, StringComparison.Ordinal);
        var sb = new StringBuilder();
        int pos = 0;
        for (long done = 0; done < count; done++)
        {
            int at = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (at < 0 || old.Length == 0) break;
            sb.Append(s, pos, at - pos).Append(replacement);
            pos = at + old.Length;
        }
        return sb.Append(s, pos, s.Length - pos).ToString();
    }

    private static int CodePointIndex(string s, int utf16Index) => utf16Index < 0 ? -1 : s[..utf16Index].EnumerateRunes().Count();

    private static int CountOccurrences(string s, string sub)
    {
        if (sub.Length == 0) return JinjaValue.Characters(s).Count + 1;
        int count = 0;
        for (int at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    private static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (char c in s)
        {
            sb.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousCased = char.IsLetter(c);
        }
        return sb.ToString();
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    // str.format with "{}", "{0}" and "{name}" fields (no format specs).
    private static string Format(string s, List<object?> args, Dictionary<string, object?> kwargs)
    {
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '{' && i + 1 < s.Length && s[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < s.Length && s[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c != '{') { sb.Append(c); continue; }
            int close = s.IndexOf('}', i);
            if (close < 0) throw new FormatException("str.format: unmatched '{'");
            string field = s[(i + 1)..close];
            if (field.Contains(':', StringComparison.Ordinal) || field.Contains('!', StringComparison.Ordinal))
                throw new FormatException($"str.format: format specs are not supported ('{{{field}}}')");
            object? value = field.Length == 0 ? args[next++]
                : int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int position) ? args[position]
                : kwargs.TryGetValue(field, out var named) ? named : throw new FormatException($"str.format: no argument '{field}'");
            sb.Append(JinjaValue.Str(value));
            i = close;
        }
        return sb.ToString();
    }
}
