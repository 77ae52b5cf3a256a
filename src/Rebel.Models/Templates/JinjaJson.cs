// JinjaJson: the tojson filter as transformers defines it: Python's json.dumps(ensure_ascii=False), ", " and ": "
// separators (or "," and ": " with indent), keys in insertion order.
using System.Globalization;
using System.Text;

namespace Rebel.Models.Templates;

/// <summary>Python-compatible JSON output.</summary>
internal static class JinjaJson
{
    /// <summary>json.dumps(value, ensure_ascii=False, indent=indent, sort_keys=sortKeys).</summary>
    public static string Dumps(object? value, int? indent, bool sortKeys = false)
    {
        var sb = new StringBuilder();
        Write(sb, value, indent, 0, sortKeys);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value, int? indent, int depth, bool sortKeys)
    {
        switch (value)
        {
            case null or JinjaUndefined: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(double.IsFinite(d) ? JinjaValue.FormatFloat(d) : double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity"); break;
            case string s: WriteString(sb, s); break;
            case List<object?> list:
                WriteContainer(sb, '[', ']', list.Count, indent, depth, i => Write(sb, list[i], indent, depth + 1, sortKeys));
                break;
            case Dictionary<string, object?> dict:
            {
                var pairs = sortKeys ? [.. dict.OrderBy(kv => kv.Key, StringComparer.Ordinal)] : dict.ToList();
                WriteContainer(sb, '{', '}', pairs.Count, indent, depth, i =>
                {
                    WriteString(sb, pairs[i].Key);
                    sb.Append(": ");
                    Write(sb, pairs[i].Value, indent, depth + 1, sortKeys);
                });
                break;
            }
            case JinjaNamespace ns: Write(sb, ns.Values, indent, depth, sortKeys); break;
            default: throw new InvalidOperationException($"Object of type {JinjaValue.TypeName(value)} is not JSON serializable");
        }
    }

    private static void WriteContainer(StringBuilder sb, char open, char close, int count, int? indent, int depth, Action<int> item)
    {
        sb.Append(open);
        if (count == 0)
        {
            sb.Append(close);
            return;
        }
        for (int i = 0; i < count; i++)
        {
            if (indent is { } n)
            {
                sb.Append(i == 0 ? "\n" : ",\n").Append(' ', n * (depth + 1));
            }
            else if (i > 0)
            {
                sb.Append(", ");
            }
            item(i);
        }
        if (indent is { } m) sb.Append('\n').Append(' ', m * depth);
        sb.Append(close);
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
