// JinjaBuiltins: attribute and item access (a.b and a['b'] are the same lookup in two orders), Python slicing, and
// argument helpers shared by the filters, tests, methods and global functions in the JinjaBuiltins.*.cs partials.
using System.Text;

namespace Rebel.Models.Templates;

/// <summary>The built-in behaviour of values.</summary>
internal static partial class JinjaBuiltins
{
    /// <summary>obj.name: a method of the value first, then its item (Jinja's getattr order); undefined when neither exists.</summary>
    public static object? GetAttribute(object? obj, string name)
    {
        if (obj is IJinjaObject o) return o.GetAttribute(name);
        if (Method(obj, name) is { } method) return method;
        return obj is Dictionary<string, object?> d && d.TryGetValue(name, out var v) ? v : JinjaUndefined.Instance;
    }

    /// <summary>obj[key]: the item first, then an attribute of that name; undefined when neither exists.</summary>
    public static object? GetItem(object? obj, object? key)
    {
        switch (obj, key)
        {
            case (Dictionary<string, object?> d, string k):
                return d.TryGetValue(k, out var v) ? v : (object?)Method(obj, k) ?? JinjaUndefined.Instance;
            case (List<object?> l, long or bool):
            {
                long i = Index(key);
                if (i < 0) i += l.Count;
                return i >= 0 && i < l.Count ? l[(int)i] : JinjaUndefined.Instance;
            }
            case (string s, long or bool):
            {
                var chars = JinjaValue.Characters(s);
                long i = Index(key);
                if (i < 0) i += chars.Count;
                return i >= 0 && i < chars.Count ? chars[(int)i] : JinjaUndefined.Instance;
            }
            case (_, string name):
                return GetAttribute(obj, name);
            default:
                return JinjaUndefined.Instance;
        }
    }

    private static long Index(object? key) => key is bool b ? (b ? 1 : 0) : (long)key!;

    /// <summary>obj[start:stop:step] with Python's rules (negative indices and steps, clamping) on lists and strings.</summary>
    public static object? Slice(object? obj, long? start, long? stop, long? step)
    {
        long st = step ?? 1;
        if (st == 0) throw new InvalidOperationException("slice step cannot be zero");
        List<object?> items = obj switch
        {
            List<object?> l => l,
            string s => [.. JinjaValue.Characters(s)],
            JinjaUndefined => [],
            _ => throw new InvalidOperationException($"{JinjaValue.TypeName(obj)} cannot be sliced"),
        };
        long n = items.Count;
        long Clamp(long? v, long low, long high, long fallback)
        {
            if (v is null) return fallback;
            long x = v.Value < 0 ? v.Value + n : v.Value;
            return Math.Clamp(x, low, high);
        }
        var result = new List<object?>();
        if (st > 0)
        {
            for (long i = Clamp(start, 0, n, 0), end = Clamp(stop, 0, n, n); i < end; i += st) result.Add(items[(int)i]);
        }
        else
        {
            for (long i = Clamp(start, -1, n - 1, n - 1), end = Clamp(stop, -1, n - 1, -1); i > end; i += st) result.Add(items[(int)i]);
        }
        if (obj is JinjaTuple) return new JinjaTuple(result);
        if (obj is not string) return result;
        var sb = new StringBuilder();
        foreach (var c in result) sb.Append((string)c!);
        return sb.ToString();
    }

    // Argument i (or the named one), else the fallback.
    private static object? Arg(List<object?> args, Dictionary<string, object?> kwargs, int i, string name, object? fallback = null) =>
        i < args.Count ? args[i] : kwargs.TryGetValue(name, out var v) ? v : fallback;

    private static bool HasArg(List<object?> args, Dictionary<string, object?> kwargs, int i, string name) => i < args.Count || kwargs.ContainsKey(name);

    private static string StringArg(List<object?> args, Dictionary<string, object?> kwargs, int i, string name, string? fallback = null) =>
        Arg(args, kwargs, i, name, fallback) switch
        {
            string s => s,
            var v => throw new InvalidOperationException($"argument '{name}' must be a string, not {JinjaValue.TypeName(v)}"),
        };

    private static long IntArg(List<object?> args, Dictionary<string, object?> kwargs, int i, string name, long fallback) =>
        Arg(args, kwargs, i, name, fallback) switch
        {
            long l => l,
            bool b => b ? 1 : 0,
            null => fallback,
            var v => throw new InvalidOperationException($"argument '{name}' must be an integer, not {JinjaValue.TypeName(v)}"),
        };

    private static string AsString(object? v, string what) =>
        v as string ?? throw new InvalidOperationException($"{what} needs a string, not {JinjaValue.TypeName(v)}");

    private static List<object?> AsList(object? v) => v is List<object?> l ? l : JinjaValue.Iterate(v);
}
