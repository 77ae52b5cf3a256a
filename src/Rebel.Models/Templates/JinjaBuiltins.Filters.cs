// JinjaBuiltins.Filters: the "|" filters chat templates use (trim, tojson, length, join, default, selectattr, map, ...).
using System.Globalization;
using System.Text;

namespace Rebel.Models.Templates;

internal static partial class JinjaBuiltins
{
    /// <summary>Applies filter <paramref name="name"/>; <paramref name="known"/> is false when no such filter exists.</summary>
    public static object? Filter(string name, object? value, List<object?> args, Dictionary<string, object?> kwargs, out bool known)
    {
        known = true;
        switch (name)
        {
            case "trim":
                return HasArg(args, kwargs, 0, "chars") ? Strip(AsString(value, "trim"), args, kwargs, true, true) : JinjaValue.Str(value).Trim();
            case "tojson":
                return JinjaJson.Dumps(value, Arg(args, kwargs, 0, "indent") is long indent ? (int)indent : null, JinjaValue.Truthy(Arg(args, kwargs, 1, "sort_keys", false)));
            case "length" or "count":
                return JinjaValue.Length(value);
            case "join":
            {
                var items = AsList(value);
                var attribute = Arg(args, kwargs, 1, "attribute");
                if (attribute is string attr) items = [.. items.Select(x => GetAttributePath(x, attr))];
                return string.Join(Arg(args, kwargs, 0, "d", "") as string ?? "", items.Select(JinjaValue.Str));
            }
            case "default" or "d":
            {
                bool boolean = JinjaValue.Truthy(Arg(args, kwargs, 1, "boolean", false));
                bool useDefault = value is JinjaUndefined || (boolean && !JinjaValue.Truthy(value));
                return useDefault ? Arg(args, kwargs, 0, "default_value", "") : value;
            }
            case "upper": return JinjaValue.Str(value).ToUpperInvariant();
            case "lower": return JinjaValue.Str(value).ToLowerInvariant();
            case "title": return TitleWords(JinjaValue.Str(value));
            case "capitalize": return Capitalize(JinjaValue.Str(value));
            case "string": return JinjaValue.Str(value);
            case "safe": return value;
            case "e" or "escape": return Escape(JinjaValue.Str(value));
            case "items":
                return value is Dictionary<string, object?> d ? d.Select(kv => (object?)new JinjaTuple([kv.Key, kv.Value])).ToList()
                    : value is JinjaUndefined ? new List<object?>() : throw new InvalidOperationException($"items needs a mapping, not {JinjaValue.TypeName(value)}");
            case "list": return AsList(value).ToList();
            case "first": return AsList(value) is { Count: > 0 } f ? f[0] : JinjaUndefined.Instance;
            case "last": return AsList(value) is { Count: > 0 } l ? l[^1] : JinjaUndefined.Instance;
            case "reverse": return value is string s ? string.Concat(JinjaValue.Characters(s).AsEnumerable().Reverse()) : AsList(value).AsEnumerable().Reverse().ToList();
            case "unique":
            {
                var result = new List<object?>();
                foreach (var x in AsList(value))
                {
                    if (!result.Any(r => JinjaValue.Equal(r, x))) result.Add(x);
                }
                return result;
            }
            case "sort":
            {
                bool reverse = JinjaValue.Truthy(Arg(args, kwargs, 0, "reverse", false));
                var attribute = Arg(args, kwargs, 2, "attribute") as string;
                var items = AsList(value).ToList();
                var sorted = items.Select((x, i) => (Key: attribute is null ? x : GetAttributePath(x, attribute), Index: i, Item: x)).ToList();
                sorted.Sort((a, b) => JinjaValue.Compare(a.Key, b.Key) is var c && c != 0 ? (reverse ? -c : c) : a.Index.CompareTo(b.Index));
                return sorted.Select(x => x.Item).ToList();
            }
            case "dictsort":
            {
                if (value is not Dictionary<string, object?> dict) throw new InvalidOperationException($"dictsort needs a mapping, not {JinjaValue.TypeName(value)}");
                bool byValue = Arg(args, kwargs, 1, "by", "key") as string == "value";
                bool reverse = JinjaValue.Truthy(Arg(args, kwargs, 2, "reverse", false));
                var pairs = dict.Select(kv => new JinjaTuple([kv.Key, kv.Value])).ToList();
                pairs.Sort((a, b) => JinjaValue.Compare(a[byValue ? 1 : 0], b[byValue ? 1 : 0]) * (reverse ? -1 : 1));
                return pairs.Select(p => (object?)p).ToList();
            }
            case "selectattr" or "rejectattr" or "select" or "reject" or "map" when !JinjaValue.Truthy(value):
                return new List<object?>();
            case "selectattr" or "rejectattr":
            {
                string attribute = StringArg(args, kwargs, 0, "attribute");
                bool keep = name == "selectattr";
                return AsList(value).Where(x => SelectTest(GetAttributePath(x, attribute), args.Skip(1).ToList()) == keep).ToList();
            }
            case "select" or "reject":
            {
                bool keep = name == "select";
                return AsList(value).Where(x => SelectTest(x, args) == keep).ToList();
            }
            case "map":
            {
                if (kwargs.TryGetValue("attribute", out var attr))
                {
                    var fallback = kwargs.TryGetValue("default", out var dv) ? dv : JinjaUndefined.Instance;
                    return AsList(value).Select(x => GetAttributePath(x, AsString(attr, "map(attribute=)")) is var v && v is JinjaUndefined ? fallback : v).ToList();
                }
                string filter = StringArg(args, kwargs, 0, "filter");
                var rest = args.Skip(1).ToList();
                return AsList(value).Select(x => Filter(filter, x, rest, [], out bool ok) is var r && ok ? r : throw new InvalidOperationException($"unknown filter '{filter}'")).ToList();
            }
            case "int":
                return ToInt(value, Arg(args, kwargs, 0, "default", 0L));
            case "float":
                return ToFloat(value, Arg(args, kwargs, 0, "default", 0.0));
            case "abs":
                return value switch { long n => (object)Math.Abs(n), double x => Math.Abs(x), _ => throw new InvalidOperationException($"abs needs a number, not {JinjaValue.TypeName(value)}") };
            case "round":
            {
                long precision = IntArg(args, kwargs, 0, "precision", 0);
                string method = Arg(args, kwargs, 1, "method", "common") as string ?? "common";
                double x = JinjaValue.ToDouble(value), scale = Math.Pow(10, precision);
                double r = method switch
                {
                    "ceil" => Math.Ceiling(x * scale) / scale,
                    "floor" => Math.Floor(x * scale) / scale,
                    _ => Math.Round(x, (int)Math.Clamp(precision, 0, 15), MidpointRounding.ToEven),
                };
                return r;
            }
            case "replace":
                return Replace(JinjaValue.Str(value), StringArg(args, kwargs, 0, "old"), StringArg(args, kwargs, 1, "new"), IntArg(args, kwargs, 2, "count", -1));
            case "indent":
                return Indent(JinjaValue.Str(value), Arg(args, kwargs, 0, "width", 4L), JinjaValue.Truthy(Arg(args, kwargs, 1, "first", false)), JinjaValue.Truthy(Arg(args, kwargs, 2, "blank", false)));
            case "wordcount":
                return (long)JinjaValue.Str(value).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            case "batch":
            {
                long size = IntArg(args, kwargs, 0, "linecount", 1);
                if (size <= 0) throw new InvalidOperationException("batch size must be positive");
                var fill = Arg(args, kwargs, 1, "fill_with");
                bool hasFill = HasArg(args, kwargs, 1, "fill_with");
                var batches = AsList(value).Chunk((int)size).Select(c => (object?)c.ToList()).ToList();
                if (hasFill && batches.Count > 0 && batches[^1] is List<object?> lastBatch)
                {
                    while (lastBatch.Count < size) lastBatch.Add(fill);
                }
                return batches;
            }
            case "center":
            {
                string text = JinjaValue.Str(value);
                int width = (int)IntArg(args, kwargs, 0, "width", 80);
                int pad = Math.Max(0, width - text.Length);
                return new string(' ', pad / 2) + text + new string(' ', pad - pad / 2);
            }
            case "min" or "max":
            {
                var items = AsList(value);
                if (items.Count == 0) return JinjaUndefined.Instance;
                return items.Aggregate((a, b) => (JinjaValue.Compare(a, b) <= 0) == (name == "min") ? a : b);
            }
            case "sum":
                return AsList(value).Aggregate((object?)0L, (acc, x) => JinjaOperators.Binary("+", acc, x));
            default:
                known = false;
                return null;
        }
    }

    // "a.b.c" attribute paths, as selectattr/map/sort accept; digits index lists.
    private static object? GetAttributePath(object? value, string path)
    {
        foreach (string part in path.Split('.'))
        {
            value = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long i) && value is List<object?> ? GetItem(value, i) : GetItem(value, part);
        }
        return value;
    }

    // select/selectattr: the named test with its arguments, or truthiness when no test is named.
    private static bool SelectTest(object? value, List<object?> args)
    {
        if (args.Count == 0) return JinjaValue.Truthy(value);
        string test = AsString(args[0], "select test name");
        return Test(test, value, args.Skip(1).ToList()) ?? throw new InvalidOperationException($"unknown test '{test}'");
    }

    private static object? ToInt(object? value, object? fallback) => value switch
    {
        long l => l,
        bool b => b ? 1L : 0L,
        double d => (long)Math.Truncate(d),
        string s when long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l) => l,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => (long)Math.Truncate(d),
        _ => fallback,
    };

    private static object? ToFloat(object? value, object? fallback) => value switch
    {
        long l => (double)l,
        bool b => b ? 1.0 : 0.0,
        double d => d,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
        _ => fallback,
    };

    // Jinja's title filter: each word (after whitespace, '-', or an opening bracket) capitalized, unlike str.title().
    private static string TitleWords(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool wordStart = true;
        foreach (char c in s)
        {
            bool separator = char.IsWhiteSpace(c) || c is '-' or '(' or '{' or '[' or '<';
            sb.Append(separator ? c : wordStart ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            wordStart = separator;
        }
        return sb.ToString();
    }

    // markupsafe's escape: & < > " ' as entities.
    private static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&#34;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);

    private static string Indent(string s, object? width, bool first, bool blank)
    {
        string pad = width is string w ? w : new string(' ', (int)(width is long n ? n : 4));
        var lines = s.Split('\n');
        var sb = new StringBuilder();
        for (int i = 0; i < lines.Length; i++)
        {
            if (i > 0) sb.Append('\n');
            bool indent = (i > 0 || first) && (blank || lines[i].Trim().Length > 0);
            if (indent) sb.Append(pad);
            sb.Append(lines[i]);
        }
        return sb.ToString();
    }
}
