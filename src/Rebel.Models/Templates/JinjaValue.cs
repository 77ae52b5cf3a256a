// JinjaValue: the run-time values of the Jinja engine and their Python semantics (truth, equality, str(), repr()).
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Rebel.Models.Templates;

// Values are plain objects: null (none), JinjaUndefined, bool, long, double, string, List<object?> (lists; JinjaTuple for tuples),
// Dictionary<string, object?> (dicts, insertion-ordered), IJinjaObject (loop, namespace) and JinjaCallable.

/// <summary>A callable value: a global function, a macro or a bound method.</summary>
internal delegate object? JinjaCallable(List<object?> args, Dictionary<string, object?> kwargs);

/// <summary>An object with named attributes (loop, namespace).</summary>
internal interface IJinjaObject
{
    /// <summary>The attribute's value, or <see cref="JinjaUndefined"/>.</summary>
    object? GetAttribute(string name);
}

/// <summary>A tuple: a list that prints as (a, b) and equals only other tuples, as in Python.</summary>
internal sealed class JinjaTuple(IEnumerable<object?> items) : List<object?>(items);

/// <summary>A name or attribute that does not exist: falsy, prints as "", iterates as empty.</summary>
internal sealed class JinjaUndefined
{
    public static JinjaUndefined Instance { get; } = new();

    public override string ToString() => "";
}

/// <summary>namespace(...): the one mutable object templates can assign attributes to across loop scopes.</summary>
internal sealed class JinjaNamespace : IJinjaObject
{
    public Dictionary<string, object?> Values { get; } = [];

    public object? GetAttribute(string name) => Values.TryGetValue(name, out var v) ? v : JinjaUndefined.Instance;
}

/// <summary>Python-like behaviour of values.</summary>
internal static class JinjaValue
{
    public static bool IsUndefined(object? v) => v is JinjaUndefined;

    public static bool IsNumber(object? v) => v is long or double;

    public static bool Truthy(object? v) => v switch
    {
        null or JinjaUndefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        Dictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    public static string TypeName(object? v) => v switch
    {
        null => "none",
        JinjaUndefined => "undefined",
        bool => "boolean",
        long => "integer",
        double => "float",
        string => "string",
        JinjaTuple => "tuple",
        List<object?> => "list",
        Dictionary<string, object?> => "dict",
        JinjaCallable => "function",
        JinjaNamespace => "namespace",
        _ => "object",
    };

    /// <summary>Python's str(): what {{ value }} prints.</summary>
    public static string Str(object? v) => v switch
    {
        string s => s,
        JinjaUndefined => "",
        _ => Repr(v),
    };

    /// <summary>Python's repr().</summary>
    public static string Repr(object? v)
    {
        switch (v)
        {
            case null: return "None";
            case JinjaUndefined: return "";
            case bool b: return b ? "True" : "False";
            case long l: return l.ToString(CultureInfo.InvariantCulture);
            case double d: return FormatFloat(d);
            case string s: return ReprString(s);
            case JinjaTuple tuple: return "(" + string.Join(", ", tuple.Select(Repr)) + (tuple.Count == 1 ? ",)" : ")");
            case List<object?> list: return "[" + string.Join(", ", list.Select(Repr)) + "]";
            case Dictionary<string, object?> dict: return "{" + string.Join(", ", dict.Select(kv => ReprString(kv.Key) + ": " + Repr(kv.Value))) + "}";
            case JinjaNamespace ns: return "<Namespace " + string.Join(", ", ns.Values.Select(kv => kv.Key + "=" + Repr(kv.Value))) + ">";
            default: return v.ToString() ?? "";
        }
    }

    /// <summary>Python's float repr: shortest round-trip digits, always with a '.' or exponent ("1.0", "1e-05", "inf").</summary>
    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        if (d == Math.Floor(d) && Math.Abs(d) < 1e16) return d.ToString("F1", CultureInfo.InvariantCulture);
        string r = d.ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOf('E', StringComparison.Ordinal);
        if (e < 0) return r;
        string mantissa = r[..e];
        int exponent = int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
        if (exponent is >= -4 and < 16) return d.ToString("0.####################", CultureInfo.InvariantCulture);
        return $"{mantissa}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
    }

    private static string ReprString(string s)
    {
        char quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        var sb = new StringBuilder().Append(quote);
        foreach (char c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == quote) sb.Append('\\').Append(c);
                    else if (c < 0x20 || c == 0x7f) sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append(quote).ToString();
    }

    /// <summary>Python's ==.</summary>
    public static bool Equal(object? a, object? b)
    {
        if (a is JinjaUndefined || b is JinjaUndefined) return a is JinjaUndefined && b is JinjaUndefined;
        if (a is null || b is null) return a is null && b is null;
        if (IsNumeric(a) && IsNumeric(b)) return ToDouble(a) == ToDouble(b);
        return (a, b) switch
        {
            (string x, string y) => x == y,
            (List<object?> x, List<object?> y) => (x is JinjaTuple) == (y is JinjaTuple) && x.Count == y.Count && x.Zip(y).All(p => Equal(p.First, p.Second)),
            (Dictionary<string, object?> x, Dictionary<string, object?> y) =>
                x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var o) && Equal(kv.Value, o)),
            _ => ReferenceEquals(a, b),
        };
    }

    /// <summary>Numbers and booleans (Python's bool is an int).</summary>
    public static bool IsNumeric(object? v) => v is long or double or bool;

    public static double ToDouble(object? v) => v switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new InvalidOperationException($"{TypeName(v)} is not a number"),
    };

    /// <summary>Python's ordering of two values (numbers, strings, lists); throws for others.</summary>
    public static int Compare(object? a, object? b)
    {
        if (IsNumeric(a) && IsNumeric(b)) return ToDouble(a).CompareTo(ToDouble(b));
        if (a is string x && b is string y) return string.CompareOrdinal(x, y);
        if (a is List<object?> p && b is List<object?> q)
        {
            for (int i = 0; i < Math.Min(p.Count, q.Count); i++)
            {
                if (!Equal(p[i], q[i])) return Compare(p[i], q[i]);
            }
            return p.Count.CompareTo(q.Count);
        }
        throw new InvalidOperationException($"'<' not supported between {TypeName(a)} and {TypeName(b)}");
    }

    /// <summary>The items a for loop or a filter walks: list items, dict keys, string characters; undefined gives nothing, none fails.</summary>
    public static List<object?> Iterate(object? v) => v switch
    {
        JinjaUndefined => [],
        List<object?> l => l,
        Dictionary<string, object?> d => [.. d.Keys],
        string s => [.. Characters(s)],
        _ => throw new InvalidOperationException($"{TypeName(v)} is not iterable"),
    };

    /// <summary>The code points of <paramref name="s"/> as strings (Python indexes strings by code point).</summary>
    public static List<string> Characters(string s)
    {
        var result = new List<string>(s.Length);
        foreach (var r in s.EnumerateRunes()) result.Add(r.ToString());
        return result;
    }

    /// <summary>len(): code points of a string, items of a list or dict.</summary>
    public static long Length(object? v) => v switch
    {
        string s => s.EnumerateRunes().Count(),
        List<object?> l => l.Count,
        Dictionary<string, object?> d => d.Count,
        JinjaUndefined => 0,
        _ => throw new InvalidOperationException($"object of type {TypeName(v)} has no len()"),
    };

    /// <summary>Converts a host value (JSON nodes, CLR primitives, lists, dictionaries) into an engine value.</summary>
    public static object? FromHost(object? v) => v switch
    {
        null => null,
        JinjaUndefined or string or bool or long or double or JinjaCallable or IJinjaObject => v,
        int i => (long)i,
        float f => (double)f,
        JsonNode node => FromJson(node),
        IDictionary<string, object?> d => d.ToDictionary(kv => kv.Key, kv => FromHost(kv.Value)),
        IReadOnlyDictionary<string, object?> d => d.ToDictionary(kv => kv.Key, kv => FromHost(kv.Value)),
        IDictionary<string, string> d => d.ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
        System.Collections.IEnumerable e => e.Cast<object?>().Select(FromHost).ToList(),
        _ => throw new ArgumentException($"Values of type {v.GetType().Name} cannot be passed to a template."),
    };

    /// <summary>Converts a JSON value.</summary>
    public static object? FromJson(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(kv => kv.Key, kv => FromJson(kv.Value)),
        JsonArray a => a.Select(FromJson).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
            System.Text.Json.JsonValueKind.True => true,
            System.Text.Json.JsonValueKind.False => false,
            System.Text.Json.JsonValueKind.Number => v.TryGetValue<long>(out long l) ? (object)l : v.GetValue<double>(),
            _ => null,
        },
        _ => null,
    };
}
