// JinjaEvaluator: executes the statement tree (output, if, for with loop.*, set and namespaces, macros, call and filter
// blocks, break/continue); expressions are in JinjaEvaluator.Expressions.cs.
using System.Text;

namespace Rebel.Models.Templates;

/// <summary>Variables of one scope; lookups walk out to the enclosing scopes (a for body or macro opens a new one).</summary>
internal sealed class JinjaScope(JinjaScope? parent)
{
    private readonly Dictionary<string, object?> variables = [];

    private JinjaScope? Parent => parent;

    public bool TryGet(string name, out object? value)
    {
        for (var s = this; s is not null; s = s.Parent)
        {
            if (s.variables.TryGetValue(name, out value)) return true;
        }
        value = null;
        return false;
    }

    public void Set(string name, object? value) => variables[name] = value;
}

/// <summary>Renders a parsed template against a scope of variables.</summary>
internal sealed partial class JinjaEvaluator(string sourceName, DateTime now)
{
    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    /// <summary>The source name used in error messages.</summary>
    public string SourceName => sourceName;

    /// <summary>The time strftime_now formats.</summary>
    public DateTime Now => now;

    /// <summary>Renders <paramref name="body"/> into a string.</summary>
    public string Render(List<Stmt> body, JinjaScope scope)
    {
        var sb = new StringBuilder();
        var flow = Execute(body, scope, sb);
        if (flow != Flow.Normal) throw new TemplateException($"{sourceName}: '{{% break %}}'/'{{% continue %}}' outside a for loop");
        return sb.ToString();
    }

    private Flow Execute(List<Stmt> body, JinjaScope scope, StringBuilder output)
    {
        foreach (var stmt in body)
        {
            var flow = Execute(stmt, scope, output);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private Flow Execute(Stmt stmt, JinjaScope scope, StringBuilder output)
    {
        switch (stmt)
        {
            case TextStmt t:
                output.Append(t.Text);
                return Flow.Normal;
            case OutputStmt o:
                output.Append(JinjaValue.Str(Evaluate(o.Value, scope)));
                return Flow.Normal;
            case IfStmt i:
                foreach (var (condition, branch) in i.Branches)
                {
                    if (JinjaValue.Truthy(Evaluate(condition, scope))) return Execute(branch, scope, output);
                }
                return i.Else is null ? Flow.Normal : Execute(i.Else, scope, output);
            case ForStmt f:
                return ExecuteFor(f, scope, output);
            case SetStmt s:
                Assign(s.Target, Evaluate(s.Value, scope), scope);
                return Flow.Normal;
            case SetBlockStmt b:
            {
                var captured = new StringBuilder();
                Execute(b.Body, scope, captured);
                scope.Set(b.Name, ApplyFilters(b.Filters, captured.ToString(), scope));
                return Flow.Normal;
            }
            case MacroStmt m:
                scope.Set(m.Name, MakeMacro(m.Name, m.Parameters, m.Body, scope, caller: null));
                return Flow.Normal;
            case CallBlockStmt c:
            {
                var caller = MakeMacro("caller", c.Parameters, c.Body, scope, caller: null);
                var callee = Evaluate(c.Call.Callee, scope) as JinjaCallable ?? throw Fail(c, "'{% call %}' target is not a macro");
                var (args, kwargs) = EvaluateArguments(c.Call.Args, scope);
                kwargs["caller"] = caller;
                output.Append(JinjaValue.Str(Invoke(c, callee, args, kwargs)));
                return Flow.Normal;
            }
            case FilterBlockStmt fb:
            {
                var captured = new StringBuilder();
                Execute(fb.Body, scope, captured);
                output.Append(JinjaValue.Str(ApplyFilters(fb.Filters, captured.ToString(), scope)));
                return Flow.Normal;
            }
            case DoStmt d:
                Evaluate(d.Value, scope);
                return Flow.Normal;
            case GenerationStmt g:
                return Execute(g.Body, scope, output);
            case BreakStmt:
                return Flow.Break;
            case ContinueStmt:
                return Flow.Continue;
            default:
                throw Fail(stmt, $"unsupported statement {stmt.GetType().Name}");
        }
    }

    private Flow ExecuteFor(ForStmt f, JinjaScope scope, StringBuilder output)
    {
        var source = Evaluate(f.Iterable, scope);
        List<object?> items;
        try
        {
            items = JinjaValue.Iterate(source);
        }
        catch (InvalidOperationException e)
        {
            throw Fail(f.Iterable, e.Message);
        }
        if (f.Filter is not null)
        {
            items = [.. items.Where(item =>
            {
                var inner = new JinjaScope(scope);
                Assign(f.Target, item, inner);
                return JinjaValue.Truthy(Evaluate(f.Filter, inner));
            })];
        }
        if (items.Count == 0) return f.Else is null ? Flow.Normal : Execute(f.Else, scope, output);
        for (int i = 0; i < items.Count; i++)
        {
            var inner = new JinjaScope(scope);
            inner.Set("loop", new JinjaLoop(items, i));
            Assign(f.Target, items[i], inner);
            if (Execute(f.Body, inner, output) == Flow.Break) break;
        }
        return Flow.Normal;
    }

    private void Assign(Expr target, object? value, JinjaScope scope)
    {
        switch (target)
        {
            case NameExpr n:
                scope.Set(n.Name, value);
                break;
            case TupleExpr t:
                var values = value is string or Dictionary<string, object?> ? JinjaValue.Iterate(value) : value as List<object?>;
                if (values is null || values.Count != t.Items.Count)
                    throw Fail(t, $"cannot unpack {JinjaValue.TypeName(value)} into {t.Items.Count} names");
                for (int i = 0; i < values.Count; i++) Assign(t.Items[i], values[i], scope);
                break;
            case AttributeExpr a:
                if (Evaluate(a.Target, scope) is not JinjaNamespace ns) throw Fail(a, $"cannot assign attribute '{a.Name}' on a non-namespace object");
                ns.Values[a.Name] = value;
                break;
            default:
                throw Fail(target, "cannot assign to this expression");
        }
    }

    private JinjaCallable MakeMacro(string name, List<KeyValuePair<string, Expr?>> parameters, List<Stmt> body, JinjaScope definition, JinjaCallable? caller) =>
        (args, kwargs) =>
        {
            var inner = new JinjaScope(definition);
            if (args.Count > parameters.Count) throw new InvalidOperationException($"macro '{name}' takes {parameters.Count} arguments, {args.Count} given");
            var extra = new Dictionary<string, object?>(kwargs);
            for (int i = 0; i < parameters.Count; i++)
            {
                var (param, defaultValue) = parameters[i];
                if (i < args.Count) inner.Set(param, args[i]);
                else if (extra.Remove(param, out var named)) inner.Set(param, named);
                else inner.Set(param, defaultValue is null ? JinjaUndefined.Instance : Evaluate(defaultValue, inner));
            }
            if (extra.Remove("caller", out var c)) inner.Set("caller", c);
            else if (caller is not null) inner.Set("caller", caller);
            inner.Set("varargs", args.Skip(parameters.Count).ToList());
            inner.Set("kwargs", extra);
            var sb = new StringBuilder();
            Execute(body, inner, sb);
            return sb.ToString();
        };

    private object? ApplyFilters(List<FilterExpr> filters, object? value, JinjaScope scope)
    {
        foreach (var f in filters)
        {
            var (args, kwargs) = EvaluateArguments(f.Args, scope);
            value = ApplyFilter(f, f.Name, value, args, kwargs);
        }
        return value;
    }

    private TemplateException Fail(JinjaNode at, string message) => TemplateException.At(sourceName, at.Line, at.Column, message);
}

/// <summary>The loop variable of a for loop: index, index0, first, last, length, revindex, revindex0, previtem, nextitem, cycle.</summary>
internal sealed class JinjaLoop(List<object?> items, int index0) : IJinjaObject
{
    public object? GetAttribute(string name) => name switch
    {
        "index" => (long)index0 + 1,
        "index0" => (long)index0,
        "first" => index0 == 0,
        "last" => index0 == items.Count - 1,
        "length" => (long)items.Count,
        "revindex" => (long)(items.Count - index0),
        "revindex0" => (long)(items.Count - index0 - 1),
        "previtem" => index0 > 0 ? items[index0 - 1] : JinjaUndefined.Instance,
        "nextitem" => index0 < items.Count - 1 ? items[index0 + 1] : JinjaUndefined.Instance,
        "depth" => 1L,
        "depth0" => 0L,
        "cycle" => (JinjaCallable)((args, _) => args.Count == 0 ? JinjaUndefined.Instance : args[index0 % args.Count]),
        _ => JinjaUndefined.Instance,
    };
}
