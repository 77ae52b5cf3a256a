// JinjaBuiltins.Globals: the global functions a chat template can call: namespace, range, dict, and the two transformers
// adds, raise_exception (fails the render with the template's message) and strftime_now (formats the render's clock).
using System.Globalization;
using System.Text;

namespace Rebel.Models.Templates;

internal static partial class JinjaBuiltins
{
    /// <summary>The global functions, with strftime_now reading <paramref name="now"/>.</summary>
    public static Dictionary<string, object?> Globals(DateTime now) => new()
    {
        ["namespace"] = (JinjaCallable)((args, kwargs) =>
        {
            var ns = new JinjaNamespace();
            if (args.Count > 0 && args[0] is Dictionary<string, object?> initial)
            {
                foreach (var (k, v) in initial) ns.Values[k] = v;
            }
            foreach (var (k, v) in kwargs) ns.Values[k] = v;
            return ns;
        }),
        ["range"] = (JinjaCallable)((args, _) =>
        {
            long start = 0, stop, step = 1;
            if (args.Count == 1) stop = (long)args[0]!;
            else
            {
                start = (long)args[0]!;
                stop = (long)args[1]!;
                if (args.Count > 2) step = (long)args[2]!;
            }
            if (step == 0) throw new InvalidOperationException("range() step must not be zero");
            var result = new List<object?>();
            for (long i = start; step > 0 ? i < stop : i > stop; i += step) result.Add(i);
            return result;
        }),
        ["dict"] = (JinjaCallable)((_, kwargs) => new Dictionary<string, object?>(kwargs)),
        ["raise_exception"] = (JinjaCallable)((args, _) =>
            throw new TemplateException(args.Count > 0 ? JinjaValue.Str(args[0]) : "raise_exception() called") { RaisedByTemplate = true }),
        ["strftime_now"] = (JinjaCallable)((args, _) => Strftime(now, args.Count > 0 ? AsString(args[0], "strftime_now") : "")),
    };

    /// <summary>Python's strftime for the common directives (%d %m %Y %y %b %B %a %A %H %I %M %S %p %j %e %%).</summary>
    public static string Strftime(DateTime t, string format)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }
            char d = format[++i];
            sb.Append(d switch
            {
                'd' => t.ToString("dd", inv),
                'e' => t.Day.ToString(inv).PadLeft(2),
                'm' => t.ToString("MM", inv),
                'Y' => t.ToString("yyyy", inv),
                'y' => t.ToString("yy", inv),
                'b' => t.ToString("MMM", inv),
                'B' => t.ToString("MMMM", inv),
                'a' => t.ToString("ddd", inv),
                'A' => t.ToString("dddd", inv),
                'H' => t.ToString("HH", inv),
                'I' => t.ToString("hh", inv),
                'M' => t.ToString("mm", inv),
                'S' => t.ToString("ss", inv),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'j' => t.DayOfYear.ToString("000", inv),
                '%' => "%",
                _ => throw new InvalidOperationException($"strftime_now: unsupported directive '%{d}'"),
            });
        }
        return sb.ToString();
    }
}
