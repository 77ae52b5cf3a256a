// JinjaAst: the syntax tree the parser builds and the evaluator walks; every node keeps its line and column for errors.
namespace Rebel.Models.Templates;

/// <summary>A node of the tree, at a 1-based line and column of the source.</summary>
internal abstract record JinjaNode(int Line, int Column);

/// <summary>An expression.</summary>
internal abstract record Expr(int Line, int Column) : JinjaNode(Line, Column);

internal sealed record LiteralExpr(object? Value, int Line, int Column) : Expr(Line, Column);

internal sealed record NameExpr(string Name, int Line, int Column) : Expr(Line, Column);

internal sealed record AttributeExpr(Expr Target, string Name, int Line, int Column) : Expr(Line, Column);

internal sealed record ItemExpr(Expr Target, Expr Key, int Line, int Column) : Expr(Line, Column);

internal sealed record SliceExpr(Expr Target, Expr? Start, Expr? Stop, Expr? Step, int Line, int Column) : Expr(Line, Column);

internal sealed record Arguments(List<Expr> Positional, List<KeyValuePair<string, Expr>> Named)
{
    public static Arguments None { get; } = new([], []);
}

internal sealed record CallExpr(Expr Callee, Arguments Args, int Line, int Column) : Expr(Line, Column);

internal sealed record FilterExpr(Expr Input, string Name, Arguments Args, int Line, int Column) : Expr(Line, Column);

internal sealed record TestExpr(Expr Input, string Name, Arguments Args, bool Negated, int Line, int Column) : Expr(Line, Column);

internal sealed record UnaryExpr(string Operator, Expr Operand, int Line, int Column) : Expr(Line, Column);

internal sealed record BinaryExpr(string Operator, Expr Left, Expr Right, int Line, int Column) : Expr(Line, Column);

/// <summary>a &lt; b &lt;= c: a chain of comparisons (==, !=, &lt;, in, not in, ...).</summary>
internal sealed record CompareExpr(Expr First, List<KeyValuePair<string, Expr>> Rest, int Line, int Column) : Expr(Line, Column);

internal sealed record ConditionalExpr(Expr Condition, Expr Then, Expr? Else, int Line, int Column) : Expr(Line, Column);

internal sealed record ListExpr(List<Expr> Items, int Line, int Column) : Expr(Line, Column);

internal sealed record TupleExpr(List<Expr> Items, int Line, int Column) : Expr(Line, Column);

internal sealed record DictExpr(List<KeyValuePair<Expr, Expr>> Items, int Line, int Column) : Expr(Line, Column);

/// <summary>A statement or piece of output.</summary>
internal abstract record Stmt(int Line, int Column) : JinjaNode(Line, Column);

internal sealed record TextStmt(string Text, int Line, int Column) : Stmt(Line, Column);

internal sealed record OutputStmt(Expr Value, int Line, int Column) : Stmt(Line, Column);

internal sealed record IfStmt(List<KeyValuePair<Expr, List<Stmt>>> Branches, List<Stmt>? Else, int Line, int Column) : Stmt(Line, Column);

/// <summary>{% for target in iterable if filter %}body{% else %}empty{% endfor %}; Target is a NameExpr or TupleExpr of names.</summary>
internal sealed record ForStmt(Expr Target, Expr Iterable, Expr? Filter, List<Stmt> Body, List<Stmt>? Else, int Line, int Column) : Stmt(Line, Column);

/// <summary>{% set target = value %}; Target is a NameExpr, TupleExpr of names or AttributeExpr (namespace.attr).</summary>
internal sealed record SetStmt(Expr Target, Expr Value, int Line, int Column) : Stmt(Line, Column);

/// <summary>{% set name %}body{% endset %}, optionally with filters applied to the captured text.</summary>
internal sealed record SetBlockStmt(string Name, List<Stmt> Body, List<FilterExpr> Filters, int Line, int Column) : Stmt(Line, Column);

internal sealed record MacroStmt(string Name, List<KeyValuePair<string, Expr?>> Parameters, List<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

/// <summary>{% call(params) macro(args) %}body{% endcall %}: the body becomes the macro's caller().</summary>
internal sealed record CallBlockStmt(CallExpr Call, List<KeyValuePair<string, Expr?>> Parameters, List<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

/// <summary>{% filter name(args) %}body{% endfilter %}.</summary>
internal sealed record FilterBlockStmt(List<FilterExpr> Filters, List<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

internal sealed record DoStmt(Expr Value, int Line, int Column) : Stmt(Line, Column);

internal sealed record BreakStmt(int Line, int Column) : Stmt(Line, Column);

internal sealed record ContinueStmt(int Line, int Column) : Stmt(Line, Column);

/// <summary>{% generation %}body{% endgeneration %} (transformers marks assistant tokens with it): renders the body.</summary>
internal sealed record GenerationStmt(List<Stmt> Body, int Line, int Column) : Stmt(Line, Column);
