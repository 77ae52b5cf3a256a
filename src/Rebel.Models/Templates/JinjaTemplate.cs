// JinjaTemplate: a compiled Jinja template (the subset Hugging Face chat templates use) with transformers' settings:
// trim_blocks, lstrip_blocks, lenient undefined values, raise_exception and strftime_now.
namespace Rebel.Models.Templates;

/// <summary>A parsed Jinja template, rendered against variables.</summary>
public sealed class JinjaTemplate
{
    private readonly List<Stmt> body;

    private JinjaTemplate(List<Stmt> body, string sourceName)
    {
        this.body = body;
        SourceName = sourceName;
    }

    /// <summary>Where the source came from (a file name or a description), as error messages name it.</summary>
    public string SourceName { get; }

    /// <summary>
    /// Parses <paramref name="source"/>; throws <see cref="TemplateException"/> naming the line and column of the first
    /// construct it does not support or cannot parse.
    /// </summary>
    public static JinjaTemplate Parse(string source, string sourceName = "template")
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceName);
        var tokens = new JinjaLexer(source, sourceName).Tokenize();
        return new JinjaTemplate(new JinjaParser(tokens, sourceName).ParseTemplate(), sourceName);
    }

    /// <summary>
    /// Renders with <paramref name="variables"/>: strings, booleans, numbers, null, lists, string-keyed dictionaries and
    /// System.Text.Json nodes. <paramref name="now"/> is the time strftime_now formats (default: the current local time).
    /// Throws <see cref="TemplateException"/> for errors and for raise_exception(...) in the template.
    /// </summary>
    public string Render(IReadOnlyDictionary<string, object?> variables, DateTime? now = null)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var time = now ?? DateTime.Now;
        var globals = new JinjaScope(null);
        foreach (var (name, value) in JinjaBuiltins.Globals(time)) globals.Set(name, value);
        var scope = new JinjaScope(globals);
        foreach (var (name, value) in variables) scope.Set(name, JinjaValue.FromHost(value));
        return new JinjaEvaluator(SourceName, time).Render(body, scope);
    }
}
