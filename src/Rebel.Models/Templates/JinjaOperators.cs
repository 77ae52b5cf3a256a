// JinjaOperators: Python's arithmetic (+ - * / // % **), ~ concatenation and comparisons (== != < > <= >= in, not in).
using System.Text;

namespace Rebel.Models.Templates;

/// <summary>Binary operators with Python semantics.</summary>
internal static class JinjaOperators
{
    public static object? Binary(string op, object? a, object? b)
    {
        if (op == "~") return JinjaValue.Str(a) + JinjaValue.Str(b);
        bool ints = a is long or bool && b is long or bool;
        bool numbers = JinjaValue.IsNumeric(a) && JinjaValue.IsNumeric(b);
        switch (op)
        {
            case "+":
                if (a is string sa && b is string sb) return sa + sb;
                if (a is JinjaTuple ta && b is JinjaTuple tb) return new JinjaTuple(ta.Concat(tb));
                if (a is List<object?> la && b is List<object?> lb && a is not JinjaTuple && b is not JinjaTuple) return la.Concat(lb).ToList();
                if (ints) return checked(Int(a) + Int(b));
                if (numbers) return JinjaValue.ToDouble(a) + JinjaValue.ToDouble(b);
                break;
            case "-":
                if (ints) return checked(Int(a) - Int(b));
                if (numbers) return JinjaValue.ToDouble(a) - JinjaValue.ToDouble(b);
                break;
            case "*":
                if (ints) return checked(Int(a) * Int(b));
                if (numbers) return JinjaValue.ToDouble(a) * JinjaValue.ToDouble(b);
                if (a is string s1 && b is long n1) return Repeat(s1, n1);
                if (a is long n2 && b is string s2) return Repeat(s2, n2);
                if (a is List<object?> l1 && b is long n3) return Enumerable.Repeat(l1, (int)Math.Max(0, n3)).SelectMany(x => x).ToList();
                break;
            case "/":
                if (numbers)
                {
                    double divisor = JinjaValue.ToDouble(b);
                    if (divisor == 0) throw new DivideByZeroException("division by zero");
                    return JinjaValue.ToDouble(a) / divisor;
                }
                break;
            case "//":
                if (ints)
                {
                    long x = Int(a), y = Int(b);
                    if (y == 0) throw new DivideByZeroException("integer division by zero");
                    long q = x / y;
                    return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q;
                }
                if (numbers) return Math.Floor(JinjaValue.ToDouble(a) / JinjaValue.ToDouble(b));
                break;
            case "%":
                if (ints)
                {
                    long x = Int(a), y = Int(b);
                    if (y == 0) throw new DivideByZeroException("integer modulo by zero");
                    long r = x % y;
                    return r != 0 && (r < 0) != (y < 0) ? r + y : r;
                }
                if (numbers)
                {
                    double x = JinjaValue.ToDouble(a), y = JinjaValue.ToDouble(b);
                    double r = x % y;
                    return r != 0 && (r < 0) != (y < 0) ? r + y : r;
                }
                if (a is string format) return Printf(format, b is List<object?> values ? values : [b]);
                break;
            case "**":
                if (ints && Int(b) >= 0)
                {
                    long result = 1, x = Int(a);
                    for (long i = 0; i < Int(b); i++) result = checked(result * x);
                    return result;
                }
                if (numbers) return Math.Pow(JinjaValue.ToDouble(a), JinjaValue.ToDouble(b));
                break;
        }
        throw new InvalidOperationException($"unsupported operand types for {op}: {JinjaValue.TypeName(a)} and {JinjaValue.TypeName(b)}");
    }

    public static bool Compare(string op, object? a, object? b) => op switch
    {
        "==" => JinjaValue.Equal(a, b),
        "!=" => !JinjaValue.Equal(a, b),
        "<" => JinjaValue.Compare(a, b) < 0,
        ">" => JinjaValue.Compare(a, b) > 0,
        "<=" => JinjaValue.Compare(a, b) <= 0,
        ">=" => JinjaValue.Compare(a, b) >= 0,
        "in" => Contains(b, a),
        "not in" => !Contains(b, a),
        _ => throw new InvalidOperationException($"unknown comparison {op}"),
    };

    /// <summary>Python's "item in container".</summary>
    public static bool Contains(object? container, object? item) => container switch
    {
        string s => item is string sub ? s.Contains(sub, StringComparison.Ordinal)
            : throw new InvalidOperationException($"'in <string>' requires string as left operand, not {JinjaValue.TypeName(item)}"),
        List<object?> l => l.Any(x => JinjaValue.Equal(x, item)),
        Dictionary<string, object?> d => item is string k && d.ContainsKey(k),
        JinjaUndefined => false,
        _ => throw new InvalidOperationException($"argument of type {JinjaValue.TypeName(container)} is not iterable"),
    };

    // Python's "format % values" for the %s, %r, %d, %i and %% conversions (no widths or precisions).
    private static string Printf(string format, List<object?> values)
    {
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                sb.Append(format[i]);
                continue;
            }
            char conversion = i + 1 < format.Length ? format[++i] : throw new InvalidOperationException("incomplete format");
            if (conversion == '%')
            {
                sb.Append('%');
                continue;
            }
            if (next >= values.Count) throw new InvalidOperationException("not enough arguments for format string");
            var value = values[next++];
            sb.Append(conversion switch
            {
                's' => JinjaValue.Str(value),
                'r' => JinjaValue.Repr(value),
                'd' or 'i' => JinjaValue.IsNumeric(value) ? ((long)Math.Truncate(JinjaValue.ToDouble(value))).ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : throw new InvalidOperationException($"%{conversion} format: a number is required, not {JinjaValue.TypeName(value)}"),
                _ => throw new InvalidOperationException($"unsupported format character '{conversion}'"),
            });
        }
        if (next < values.Count) throw new InvalidOperationException("not all arguments converted during string formatting");
        return sb.ToString();
    }

    private static long Int(object? v) => v is bool b ? (b ? 1 : 0) : (long)v!;

    private static string Repeat(string s, long n)
    {
        var sb = new StringBuilder();
        for (long i = 0; i < n; i++) sb.Append(s);
        return sb.ToString();
    }
}
