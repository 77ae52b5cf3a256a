// JinjaEvaluator.Expressions: evaluates expressions with Python semantics: attribute/item access, slicing, arithmetic,
// comparisons, and/or/not, conditionals, literals, calls; errors name the construct and its line and column.
namespace Rebel.Models.Templates;

internal sealed partial class JinjaEvaluator
{
    /// <summary>The value of <paramref name="expr"/> in <paramref name="scope"/>.</summary>
    public object? Evaluate(Expr expr, JinjaScope scope)
    {
        try
        {
            return EvaluateCore(expr, scope);
        }
        catch (Exception e) when (IsValueError(e))
        {
            throw TemplateException.At(sourceName, expr.Line, expr.Column, e.Message);
        }
    }

    // The errors a value operation raises on values of the wrong type or range (Python's TypeError, ValueError, ...).
    private static bool IsValueError(Exception e) => e is InvalidOperationException or ArgumentException or FormatException or OverflowException
        or ArithmeticException or InvalidCastException or NullReferenceException or IndexOutOfRangeException;

    private object? EvaluateCore(Expr expr, JinjaScope scope)
    {
        switch (expr)
        {
            case LiteralExpr l:
                return l.Value;
            case NameExpr n:
                return scope.TryGet(n.Name, out var v) ? v : JinjaUndefined.Instance;
            case AttributeExpr a:
                return JinjaBuiltins.GetAttribute(Evaluate(a.Target, scope), a.Name);
            case ItemExpr i:
                return JinjaBuiltins.GetItem(Evaluate(i.Target, scope), Evaluate(i.Key, scope));
            case SliceExpr s:
                return JinjaBuiltins.Slice(Evaluate(s.Target, scope), OptionalInt(s.Start, scope), OptionalInt(s.Stop, scope), OptionalInt(s.Step, scope));
            case CallExpr c:
            {
                var callee = Evaluate(c.Callee, scope);
                var (args, kwargs) = EvaluateArguments(c.Args, scope);
                if (callee is not JinjaCallable f)
                {
                    string what = c.Callee switch { NameExpr n => $"'{n.Name}'", AttributeExpr a => $"'{a.Name}'", _ => "value" };
                    throw Fail(c, callee is JinjaUndefined ? $"{what} is undefined (not a known function or method)" : $"{what} ({JinjaValue.TypeName(callee)}) is not callable");
                }
                return Invoke(c, f, args, kwargs);
            }
            case FilterExpr f:
            {
                var input = Evaluate(f.Input, scope);
                var (args, kwargs) = EvaluateArguments(f.Args, scope);
                return ApplyFilter(f, f.Name, input, args, kwargs);
            }
            case TestExpr t:
            {
                var input = Evaluate(t.Input, scope);
                var (args, _) = EvaluateArguments(t.Args, scope);
                bool result = JinjaBuiltins.Test(t.Name, input, args) ?? throw Fail(t, $"unsupported test 'is {t.Name}'");
                return result != t.Negated;
            }
            case UnaryExpr u:
            {
                var operand = Evaluate(u.Operand, scope);
                return u.Operator switch
                {
                    "not" => !JinjaValue.Truthy(operand),
                    "-" => operand switch { long l => (object)(-l), double d => -d, bool b => b ? -1L : 0L, _ => throw Fail(u, $"bad operand type for unary -: {JinjaValue.TypeName(operand)}") },
                    _ => operand is long or double ? operand : throw Fail(u, $"bad operand type for unary +: {JinjaValue.TypeName(operand)}"),
                };
            }
            case BinaryExpr b when b.Operator == "and":
            {
                var left = Evaluate(b.Left, scope);
                return JinjaValue.Truthy(left) ? Evaluate(b.Right, scope) : left;
            }
            case BinaryExpr b when b.Operator == "or":
            {
                var left = Evaluate(b.Left, scope);
                return JinjaValue.Truthy(left) ? left : Evaluate(b.Right, scope);
            }
            case BinaryExpr b:
                return JinjaOperators.Binary(b.Operator, Evaluate(b.Left, scope), Evaluate(b.Right, scope));
            case CompareExpr c:
            {
                var left = Evaluate(c.First, scope);
                foreach (var (op, rightExpr) in c.Rest)
                {
                    var right = Evaluate(rightExpr, scope);
                    if (!JinjaOperators.Compare(op, left, right)) return false;
                    left = right;
                }
                return true;
            }
            case ConditionalExpr c:
                return JinjaValue.Truthy(Evaluate(c.Condition, scope)) ? Evaluate(c.Then, scope)
                    : c.Else is null ? JinjaUndefined.Instance : Evaluate(c.Else, scope);
            case ListExpr l:
                return l.Items.Select(item => Evaluate(item, scope)).ToList();
            case TupleExpr t:
                return new JinjaTuple(t.Items.Select(item => Evaluate(item, scope)));
            case DictExpr d:
            {
                var dict = new Dictionary<string, object?>();
                foreach (var (key, value) in d.Items)
                {
                    var k = Evaluate(key, scope);
                    dict[k as string ?? throw Fail(key, $"dict keys must be strings, not {JinjaValue.TypeName(k)}")] = Evaluate(value, scope);
                }
                return dict;
            }
            default:
                throw Fail(expr, $"unsupported expression {expr.GetType().Name}");
        }
    }

    private long? OptionalInt(Expr? expr, JinjaScope scope)
    {
        if (expr is null) return null;
        return Evaluate(expr, scope) switch
        {
            null => null,
            long l => l,
            bool b => b ? 1 : 0,
            var other => throw Fail(expr, $"slice indices must be integers or none, not {JinjaValue.TypeName(other)}"),
        };
    }

    private (List<object?> Args, Dictionary<string, object?> Kwargs) EvaluateArguments(Arguments arguments, JinjaScope scope)
    {
        var args = arguments.Positional.Select(a => Evaluate(a, scope)).ToList();
        var kwargs = new Dictionary<string, object?>();
        foreach (var (name, value) in arguments.Named) kwargs[name] = Evaluate(value, scope);
        return (args, kwargs);
    }

    private object? Invoke(JinjaNode at, JinjaCallable f, List<object?> args, Dictionary<string, object?> kwargs)
    {
        try
        {
            return f(args, kwargs);
        }
        catch (TemplateException e) when (e.RaisedByTemplate && e.Line == 0)
        {
            throw new TemplateException($"{sourceName}:{at.Line}:{at.Column}: {e.Message}", e) { Line = at.Line, Column = at.Column, RaisedByTemplate = true };
        }
        catch (Exception e) when (IsValueError(e))
        {
            throw Fail(at, e.Message);
        }
    }

    private object? ApplyFilter(JinjaNode at, string name, object? input, List<object?> args, Dictionary<string, object?> kwargs)
    {
        try
        {
            return JinjaBuiltins.Filter(name, input, args, kwargs, out bool known) is var result && known ? result
                : throw Fail(at, $"unsupported filter '{name}'");
        }
        catch (Exception e) when (IsValueError(e))
        {
            throw Fail(at, $"filter '{name}': {e.Message}");
        }
    }
}
