// Command-line names of an options property, for the flags `rebel` generates from options records: each property is a kebab-case
// flag named after it; this attribute gives the main name where the CLI uses a shorter one, and more names (aliases) after it.
namespace Rebel.Training;

/// <summary>
/// The flag names of an options property, main name first, without the leading "--" (e.g. <c>[Flag("lr", "learning-rate")]</c>); the
/// kebab-case property name is always accepted too. A bool shown as two words (e.g. --ref-dtype f32|bf16) names them in
/// <see cref="FalseValue"/> and <see cref="TrueValue"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = true)]
public sealed class FlagAttribute(params string[] names) : Attribute
{
    /// <summary>The flag's names, main one first.</summary>
    public IReadOnlyList<string> Names { get; } = names;

    /// <summary>For a bool property given as a word: the word meaning false.</summary>
    public string? FalseValue { get; init; }

    /// <summary>For a bool property given as a word: the word meaning true.</summary>
    public string? TrueValue { get; init; }
}
