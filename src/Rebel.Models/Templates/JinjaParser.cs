// JinjaParser: tokens to a tree of statements (for, if, set, macro, call, filter, generation, ...); expressions are in
// JinjaParser.Expressions.cs. Unknown tags fail here, naming the tag and its line.
namespace Rebel.Models.Templates;

/// <summary>A recursive-descent parser over the lexer's tokens.</summary>
internal sealed partial class JinjaParser(List<Token> tokens, string sourceName)
{
    private int index;

    private Token Current => tokens[index];

    /// <summary>Parses the whole template.</summary>
    public List<Stmt> ParseTemplate()
    {
        var (body, end) = ParseBody(null, []);
        if (end is not null) throw Error(Current, $"unexpected '{{% {end} %}}'");
        return body;
    }

    // Statements up to one of the end tags (consumed up to and including its name) or the end of the template (end = null).
    private (List<Stmt> Body, string? End) ParseBody(Token? opener, string[] ends)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var t = Current;
            switch (t.Kind)
            {
                case TokenKind.End:
                    if (opener is not null)
                        throw Error(opener, $"'{{% {opener.Value} %}}' is never closed: the template ends where {string.Join(" or ", ends.Select(e => $"'{{% {e} %}}'"))} was expected");
                    return (body, null);
                case TokenKind.Text:
                    index++;
                    body.Add(new TextStmt(t.Value, t.Line, t.Column));
                    break;
                case TokenKind.VariableBegin:
                    index++;
                    var value = ParseTuple();
                    Expect(TokenKind.VariableEnd, "}}");
                    body.Add(new OutputStmt(value, t.Line, t.Column));
                    break;
                case TokenKind.BlockBegin:
                    var name = tokens[index + 1];
                    if (name.Kind != TokenKind.Name) throw Error(name, $"expected a tag name after '{{%', found {name}");
                    if (ends.Contains(name.Value))
                    {
                        index += 2;
                        return (body, name.Value);
                    }
                    index += 2;
                    body.Add(ParseStatement(name));
                    break;
                default:
                    throw Error(t, $"unexpected {t}");
            }
        }
    }

    private Stmt ParseStatement(Token tag)
    {
        switch (tag.Value)
        {
            case "if": return ParseIf(tag);
            case "for": return ParseFor(tag);
            case "set": return ParseSet(tag);
            case "macro": return ParseMacro(tag);
            case "call": return ParseCallBlock(tag);
            case "filter":
            {
                var filters = ParseFilterChain(new LiteralExpr(null, tag.Line, tag.Column), startsAtName: true);
                EndTag();
                var (body, _) = ParseBody(tag, ["endfilter"]);
                EndTag();
                return new FilterBlockStmt(filters, body, tag.Line, tag.Column);
            }
            case "generation":
            {
                EndTag();
                var (body, _) = ParseBody(tag, ["endgeneration"]);
                EndTag();
                return new GenerationStmt(body, tag.Line, tag.Column);
            }
            case "do":
            {
                var value = ParseTuple();
                EndTag();
                return new DoStmt(value, tag.Line, tag.Column);
            }
            case "break":
                EndTag();
                return new BreakStmt(tag.Line, tag.Column);
            case "continue":
                EndTag();
                return new ContinueStmt(tag.Line, tag.Column);
            default:
                throw Error(tag, $"unsupported tag '{{% {tag.Value} %}}'");
        }
    }

    private IfStmt ParseIf(Token tag)
    {
        var branches = new List<KeyValuePair<Expr, List<Stmt>>>();
        var condition = ParseExpression();
        EndTag();
        while (true)
        {
            var (body, end) = ParseBody(tag, ["elif", "else", "endif"]);
            branches.Add(new(condition, body));
            if (end == "elif")
            {
                condition = ParseExpression();
                EndTag();
                continue;
            }
            EndTag();
            if (end == "endif") return new IfStmt(branches, null, tag.Line, tag.Column);
            var (elseBody, _) = ParseBody(tag, ["endif"]);
            EndTag();
            return new IfStmt(branches, elseBody, tag.Line, tag.Column);
        }
    }

    private ForStmt ParseFor(Token tag)
    {
        var target = ParseAssignTarget(allowAttribute: false);
        ExpectName("in");
        var iterable = ParseTuple(allowConditional: false);
        Expr? filter = null;
        if (IsName("if"))
        {
            index++;
            filter = ParseExpression();
        }
        if (IsName("recursive")) throw Error(Current, "unsupported 'recursive' for loop");
        EndTag();
        var (body, end) = ParseBody(tag, ["else", "endfor"]);
        EndTag();
        List<Stmt>? elseBody = null;
        if (end == "else")
        {
            (elseBody, _) = ParseBody(tag, ["endfor"]);
            EndTag();
        }
        return new ForStmt(target, iterable, filter, body, elseBody, tag.Line, tag.Column);
    }

    private Stmt ParseSet(Token tag)
    {
        var target = ParseAssignTarget(allowAttribute: true);
        if (IsOperator("="))
        {
            index++;
            var value = ParseTuple();
            EndTag();
            return new SetStmt(target, value, tag.Line, tag.Column);
        }
        if (target is not NameExpr name) throw Error(Current, "a block '{% set %}' needs a single name");
        var filters = ParseFilterChain(target, startsAtName: false);
        EndTag();
        var (body, _) = ParseBody(tag, ["endset"]);
        EndTag();
        return new SetBlockStmt(name.Name, body, filters, tag.Line, tag.Column);
    }

    private MacroStmt ParseMacro(Token tag)
    {
        var name = ExpectKind(TokenKind.Name, "a macro name");
        var parameters = ParseParameters();
        EndTag();
        var (body, _) = ParseBody(tag, ["endmacro"]);
        EndTag();
        return new MacroStmt(name.Value, parameters, body, tag.Line, tag.Column);
    }

    private CallBlockStmt ParseCallBlock(Token tag)
    {
        var parameters = IsOperator("(") ? ParseParameters() : [];
        var call = ParseExpression() as CallExpr ?? throw Error(tag, "'{% call %}' needs a macro call");
        EndTag();
        var (body, _) = ParseBody(tag, ["endcall"]);
        EndTag();
        return new CallBlockStmt(call, parameters, body, tag.Line, tag.Column);
    }

    private List<KeyValuePair<string, Expr?>> ParseParameters()
    {
        Expect(TokenKind.Operator, "(");
        var parameters = new List<KeyValuePair<string, Expr?>>();
        while (!IsOperator(")"))
        {
            if (parameters.Count > 0) Expect(TokenKind.Operator, ",");
            if (IsOperator(")")) break;
            var name = ExpectKind(TokenKind.Name, "a parameter name");
            Expr? defaultValue = null;
            if (IsOperator("="))
            {
                index++;
                defaultValue = ParseExpression();
            }
            parameters.Add(new(name.Value, defaultValue));
        }
        index++;
        return parameters;
    }

    // A name, "a, b" (tuple of names) or, for set, "ns.attr".
    private Expr ParseAssignTarget(bool allowAttribute)
    {
        var first = ExpectKind(TokenKind.Name, "a variable name");
        Expr target = new NameExpr(first.Value, first.Line, first.Column);
        if (allowAttribute && IsOperator("."))
        {
            index++;
            var attr = ExpectKind(TokenKind.Name, "an attribute name");
            return new AttributeExpr(target, attr.Value, attr.Line, attr.Column);
        }
        if (!IsOperator(",")) return target;
        var items = new List<Expr> { target };
        while (IsOperator(","))
        {
            index++;
            var next = ExpectKind(TokenKind.Name, "a variable name");
            items.Add(new NameExpr(next.Value, next.Line, next.Column));
        }
        return new TupleExpr(items, first.Line, first.Column);
    }

    private void EndTag() => Expect(TokenKind.BlockEnd, "%}");

    private bool IsName(string name) => Current.Kind == TokenKind.Name && Current.Value == name;

    private bool IsOperator(string op) => Current.Kind == TokenKind.Operator && Current.Value == op;

    private void ExpectName(string name)
    {
        if (!IsName(name)) throw Error(Current, $"expected '{name}', found {Current}");
        index++;
    }

    private Token ExpectKind(TokenKind kind, string what)
    {
        if (Current.Kind != kind) throw Error(Current, $"expected {what}, found {Current}");
        return tokens[index++];
    }

    private void Expect(TokenKind kind, string value)
    {
        if (Current.Kind != kind || Current.Value != value) throw Error(Current, $"expected '{value}', found {Current}");
        index++;
    }

    private TemplateException Error(Token at, string message) => TemplateException.At(sourceName, at.Line, at.Column, message);
}
