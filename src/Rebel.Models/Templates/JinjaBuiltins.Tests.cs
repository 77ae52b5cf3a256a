// JinjaBuiltins.Tests: the "is" tests (defined, none, string, mapping, iterable, divisibleby, in, equalto, ...).
namespace Rebel.Models.Templates;

internal static partial class JinjaBuiltins
{
    /// <summary>The result of "value is name(args)", or null when the test is unknown.</summary>
    public static bool? Test(string name, object? value, List<object?> args)
    {
        object? arg = args.Count > 0 ? args[0] : JinjaUndefined.Instance;
        return name switch
        {
            "defined" => value is not JinjaUndefined,
            "undefined" => value is JinjaUndefined,
            "none" => value is null,
            "string" => value is string,
            "number" => value is long or double or bool,
            "integer" => value is long,
            "float" => value is double,
            "boolean" => value is bool,
            "true" => value is true,
            "false" => value is false,
            "mapping" => value is Dictionary<string, object?>,
            "iterable" => value is string or List<object?> or Dictionary<string, object?> or JinjaUndefined,
            "sequence" => value is string or List<object?> or Dictionary<string, object?>,
            "callable" => value is JinjaCallable,
            "odd" => value is long l1 ? Math.Abs(l1 % 2) == 1 : throw new InvalidOperationException("'odd' needs an integer"),
            "even" => value is long l2 ? l2 % 2 == 0 : throw new InvalidOperationException("'even' needs an integer"),
            "divisibleby" => value is long l3 && arg is long d ? d != 0 && l3 % d == 0 : throw new InvalidOperationException("'divisibleby' needs integers"),
            "in" => JinjaOperators.Contains(arg, value),
            "equalto" or "eq" or "==" or "sameas" => JinjaValue.Equal(value, arg),
            "ne" or "!=" => !JinjaValue.Equal(value, arg),
            "lt" or "lessthan" or "<" => JinjaValue.Compare(value, arg) < 0,
            "le" or "<=" => JinjaValue.Compare(value, arg) <= 0,
            "gt" or "greaterthan" or ">" => JinjaValue.Compare(value, arg) > 0,
            "ge" or ">=" => JinjaValue.Compare(value, arg) >= 0,
            "lower" => value is string s1 && s1 == s1.ToLowerInvariant(),
            "upper" => value is string s2 && s2 == s2.ToUpperInvariant(),
            _ => null,
        };
    }
}
