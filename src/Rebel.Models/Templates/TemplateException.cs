// TemplateException: what went wrong in a Jinja template, and where (source name, line, column).
namespace Rebel.Models.Templates;

/// <summary>A Jinja template could not be parsed or rendered; the message names the construct, the source and its line and column.</summary>
public sealed class TemplateException : Exception
{
    /// <summary>Creates the exception with a message that already names the place.</summary>
    public TemplateException(string message) : base(message) { }

    /// <summary>Creates the exception with a message that already names the place and its cause.</summary>
    public TemplateException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with no detail.</summary>
    public TemplateException() { }

    /// <summary>The 1-based line of the construct (0 when unknown).</summary>
    public int Line { get; init; }

    /// <summary>The 1-based column of the construct (0 when unknown).</summary>
    public int Column { get; init; }

    /// <summary>True when the template itself raised the error with raise_exception(...).</summary>
    public bool RaisedByTemplate { get; init; }

    internal static TemplateException At(string source, int line, int column, string message) =>
        new($"{source}:{line}:{column}: {message}") { Line = line, Column = column };
}
