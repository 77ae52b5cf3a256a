// JinjaParser.Expressions: Jinja's expression grammar, lowest precedence first: conditional, or, and, not, comparisons,
// + -, ~, * / // %, **, unary, then primaries with .attr, [item], [a:b:c], calls, | filters and is tests.
using System.Globalization;

namespace Rebel.Models.Templates;

internal sealed partial class JinjaParser
{
    private static readonly HashSet<string> TestArgumentStoppers = ["else", "or", "and", "if", "in", "not", "is"];

    // An expression, or a tuple when commas follow ("a, b").
    private Expr ParseTuple(bool allowConditional = true)
    {
        var start = Current;
        var first = ParseExpression(allowConditional);
        if (!IsOperator(",")) return first;
        var items = new List<Expr> { first };
        while (IsOperator(","))
        {
            index++;
            if (Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd || IsOperator(")")) break;
            items.Add(ParseExpression(allowConditional));
        }
        return new TupleExpr(items, start.Line, start.Column);
    }

    private Expr ParseExpression(bool allowConditional = true)
    {
        var start = Current;
        var value = ParseOr();
        while (allowConditional && IsName("if"))
        {
            index++;
            var condition = ParseOr();
            Expr? otherwise = null;
            if (IsName("else"))
            {
                index++;
                otherwise = ParseExpression();
            }
            value = new ConditionalExpr(condition, value, otherwise, start.Line, start.Column);
        }
        return value;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (IsName("or"))
        {
            var op = tokens[index++];
            left = new BinaryExpr("or", left, ParseAnd(), op.Line, op.Column);
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (IsName("and"))
        {
            var op = tokens[index++];
            left = new BinaryExpr("and", left, ParseNot(), op.Line, op.Column);
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (!IsName("not")) return ParseCompare();
        var op = tokens[index++];
        return new UnaryExpr("not", ParseNot(), op.Line, op.Column);
    }

    private Expr ParseCompare()
    {
        var start = Current;
        var first = ParseMath1();
        var rest = new List<KeyValuePair<string, Expr>>();
        while (true)
        {
            string op;
            if (Current.Kind == TokenKind.Operator && Current.Value is "==" or "!=" or "<" or ">" or "<=" or ">=") op = Current.Value;
            else if (IsName("in")) op = "in";
            else if (IsName("not") && tokens[index + 1] is { Kind: TokenKind.Name, Value: "in" }) op = "not in";
            else break;
            index += op == "not in" ? 2 : 1;
            rest.Add(new(op, ParseMath1()));
        }
        return rest.Count == 0 ? first : new CompareExpr(first, rest, start.Line, start.Column);
    }

    private Expr ParseMath1() => ParseBinary(["+", "-"], ParseConcat);

    private Expr ParseConcat() => ParseBinary(["~"], ParseMath2);

    private Expr ParseMath2() => ParseBinary(["*", "/", "//", "%"], ParsePow);

    private Expr ParsePow() => ParseBinary(["**"], () => ParseUnary(withFilter: true));

    private Expr ParseBinary(string[] operators, Func<Expr> next)
    {
        var left = next();
        while (Current.Kind == TokenKind.Operator && operators.Contains(Current.Value))
        {
            var op = tokens[index++];
            left = new BinaryExpr(op.Value, left, next(), op.Line, op.Column);
        }
        return left;
    }

    private Expr ParseUnary(bool withFilter)
    {
        var start = Current;
        Expr node;
        if (IsOperator("-") || IsOperator("+"))
        {
            index++;
            node = new UnaryExpr(start.Value, ParseUnary(withFilter: false), start.Line, start.Column);
        }
        else
        {
            node = ParsePostfix(ParsePrimary());
        }
        return withFilter ? ParseFilterAndTest(node) : node;
    }

    private Expr ParsePrimary()
    {
        var t = Current;
        switch (t.Kind)
        {
            case TokenKind.Name:
                index++;
                return t.Value switch
                {
                    "true" or "True" => new LiteralExpr(true, t.Line, t.Column),
                    "false" or "False" => new LiteralExpr(false, t.Line, t.Column),
                    "none" or "None" => new LiteralExpr(null, t.Line, t.Column),
                    _ => new NameExpr(t.Value, t.Line, t.Column),
                };
            case TokenKind.String:
                index++;
                string text = t.Value;
                while (Current.Kind == TokenKind.String) text += tokens[index++].Value;
                return new LiteralExpr(text, t.Line, t.Column);
            case TokenKind.Integer:
                index++;
                return new LiteralExpr(long.Parse(t.Value, CultureInfo.InvariantCulture), t.Line, t.Column);
            case TokenKind.Float:
                index++;
                return new LiteralExpr(double.Parse(t.Value, CultureInfo.InvariantCulture), t.Line, t.Column);
            case TokenKind.Operator when t.Value == "(":
            {
                index++;
                if (IsOperator(")"))
                {
                    index++;
                    return new TupleExpr([], t.Line, t.Column);
                }
                var inner = ParseExpression();
                if (IsOperator(","))
                {
                    var items = new List<Expr> { inner };
                    while (IsOperator(","))
                    {
                        index++;
                        if (IsOperator(")")) break;
                        items.Add(ParseExpression());
                    }
                    inner = new TupleExpr(items, t.Line, t.Column);
                }
                Expect(TokenKind.Operator, ")");
                return inner;
            }
            case TokenKind.Operator when t.Value == "[":
            {
                index++;
                var items = new List<Expr>();
                while (!IsOperator("]"))
                {
                    if (items.Count > 0) Expect(TokenKind.Operator, ",");
                    if (IsOperator("]")) break;
                    items.Add(ParseExpression());
                }
                index++;
                return new ListExpr(items, t.Line, t.Column);
            }
            case TokenKind.Operator when t.Value == "{":
            {
                index++;
                var items = new List<KeyValuePair<Expr, Expr>>();
                while (!IsOperator("}"))
                {
                    if (items.Count > 0) Expect(TokenKind.Operator, ",");
                    if (IsOperator("}")) break;
                    var key = ParseExpression();
                    Expect(TokenKind.Operator, ":");
                    items.Add(new(key, ParseExpression()));
                }
                index++;
                return new DictExpr(items, t.Line, t.Column);
            }
            default:
                throw Error(t, $"unexpected {t} in an expression");
        }
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var t = Current;
            if (IsOperator("."))
            {
                index++;
                var name = Current;
                if (name.Kind is not (TokenKind.Name or TokenKind.Integer)) throw Error(name, $"expected an attribute name after '.', found {name}");
                index++;
                node = name.Kind == TokenKind.Integer
                    ? new ItemExpr(node, new LiteralExpr(long.Parse(name.Value, CultureInfo.InvariantCulture), name.Line, name.Column), t.Line, t.Column)
                    : new AttributeExpr(node, name.Value, t.Line, t.Column);
            }
            else if (IsOperator("["))
            {
                index++;
                node = ParseSubscript(node, t);
            }
            else if (IsOperator("("))
            {
                node = new CallExpr(node, ParseCallArguments(), t.Line, t.Column);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseSubscript(Expr target, Token open)
    {
        Expr? start = IsOperator(":") ? null : ParseExpression();
        if (IsOperator("]"))
        {
            index++;
            return new ItemExpr(target, start!, open.Line, open.Column);
        }
        Expect(TokenKind.Operator, ":");
        Expr? stop = IsOperator(":") || IsOperator("]") ? null : ParseExpression();
        Expr? step = null;
        if (IsOperator(":"))
        {
            index++;
            if (!IsOperator("]")) step = ParseExpression();
        }
        Expect(TokenKind.Operator, "]");
        return new SliceExpr(target, start, stop, step, open.Line, open.Column);
    }

    private Arguments ParseCallArguments()
    {
        Expect(TokenKind.Operator, "(");
        var args = new Arguments([], []);
        while (!IsOperator(")"))
        {
            if (args.Positional.Count + args.Named.Count > 0) Expect(TokenKind.Operator, ",");
            if (IsOperator(")")) break;
            if (Current.Kind == TokenKind.Name && tokens[index + 1] is { Kind: TokenKind.Operator, Value: "=" })
            {
                string name = Current.Value;
                index += 2;
                args.Named.Add(new(name, ParseExpression()));
            }
            else
            {
                if (IsOperator("*") || IsOperator("**")) throw Error(Current, "unsupported '*args'/'**kwargs' in a call");
                if (args.Named.Count > 0) throw Error(Current, "positional argument after a keyword argument");
                args.Positional.Add(ParseExpression());
            }
        }
        index++;
        return args;
    }

    private Expr ParseFilterAndTest(Expr node)
    {
        while (true)
        {
            if (IsOperator("|"))
            {
                node = ParseFilterChain(node, startsAtName: false)[^1];
            }
            else if (IsName("is"))
            {
                var isToken = tokens[index++];
                bool negated = IsName("not");
                if (negated) index++;
                var name = ExpectKind(TokenKind.Name, "a test name after 'is'");
                string testName = name.Value;
                Arguments args = Arguments.None;
                if (IsOperator("(")) args = ParseCallArguments();
                else if (StartsTestArgument()) args = new Arguments([ParsePostfix(ParsePrimary())], []);
                node = new TestExpr(node, testName, args, negated, isToken.Line, isToken.Column);
            }
            else if (IsOperator("("))
            {
                var t = Current;
                node = new CallExpr(node, ParseCallArguments(), t.Line, t.Column);
            }
            else
            {
                return node;
            }
        }
    }

    private bool StartsTestArgument() => Current.Kind switch
    {
        TokenKind.Name => !TestArgumentStoppers.Contains(Current.Value),
        TokenKind.String or TokenKind.Integer or TokenKind.Float => true,
        TokenKind.Operator => Current.Value is "[" or "{",
        _ => false,
    };

    // "| f(args) | g ...": the filters applied in turn to input, each FilterExpr wrapping the previous one. With startsAtName the
    // first filter's name comes without a "|" ({% filter upper %}).
    private List<FilterExpr> ParseFilterChain(Expr input, bool startsAtName)
    {
        var result = new List<FilterExpr>();
        while (startsAtName || IsOperator("|"))
        {
            if (!startsAtName) index++;
            startsAtName = false;
            var name = ExpectKind(TokenKind.Name, "a filter name");
            var args = IsOperator("(") ? ParseCallArguments() : Arguments.None;
            input = new FilterExpr(input, name.Value, args, name.Line, name.Column);
            result.Add((FilterExpr)input);
        }
        return result;
    }
}
