// Command-line flags generated from options records: one flag per settable property of each record, named in kebab case after
// the property (or by its [Flag] attribute, whose further names are aliases), its help the property's documented summary and,
// where the records' defaults differ, each algorithm's default. Flags shared by several records are one flag; a typed flag is
// applied onto a record of defaults, and a flag the chosen record lacks is reported.
using System.CommandLine;
using System.Globalization;
using System.Reflection;
using Rebel.Training;

namespace Rebel.Cli.Commands;

/// <summary>The flags of a set of options records (one per algorithm) and their reading.</summary>
internal sealed class OptionFlags
{
    private readonly Dictionary<string, Option> byProperty = [];
    private readonly Dictionary<Option, List<PropertyInfo>> bound = [];

    /// <summary>Flags for every settable property of the <paramref name="records"/> (algorithm name, record of its defaults).</summary>
    public OptionFlags(IReadOnlyList<(string Name, object Defaults)> records)
    {
        foreach (var (_, defaults) in records)
        {
            foreach (var property in Settable(defaults.GetType()))
            {
                var flag = Attribute.GetCustomAttribute(property, typeof(FlagAttribute), inherit: true) as FlagAttribute;
                string main = "--" + (flag?.Names.FirstOrDefault() ?? Kebab(property.Name));
                if (!byProperty.TryGetValue(main, out var option))
                {
                    option = Create(main, property, flag, records);
                    byProperty[main] = option;
                    bound[option] = [];
                }
                bound[option].Add(property);
            }
        }
    }

    /// <summary>Every flag, for adding to a command.</summary>
    public IEnumerable<Option> All => byProperty.Values;

    /// <summary><paramref name="defaults"/> with every typed flag of its record applied.</summary>
    public T Read<T>(ParseResult parse, T defaults) where T : class
    {
        var clone = (T)defaults.GetType().GetMethod("<Clone>$")!.Invoke(defaults, null)!;
        foreach (var (option, properties) in bound)
        {
            if (parse.GetResult(option) is null || properties.FirstOrDefault(p => p.DeclaringType!.IsAssignableFrom(clone.GetType())) is not { } property) continue;
            property.SetValue(clone, Value(parse, option, property));
        }
        return clone;
    }

    /// <summary>The first typed flag that <paramref name="optionsType"/> has no property for, or null.</summary>
    public Option? Misplaced(ParseResult parse, Type optionsType) =>
        bound.FirstOrDefault(b => parse.GetResult(b.Key) is not null && !b.Value.Any(p => p.DeclaringType!.IsAssignableFrom(optionsType))).Key;

    private static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true } && Supported(p.PropertyType));

    private static bool Supported(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        return t == typeof(int) || t == typeof(float) || t == typeof(double) || t == typeof(ulong) || t == typeof(bool) || t == typeof(string) || t.IsEnum;
    }

    private static Option Create(string name, PropertyInfo property, FlagAttribute? flag, IReadOnlyList<(string Name, object Defaults)> records)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        string[] aliases = [.. (flag?.Names.Skip(1) ?? []).Append(Kebab(property.Name)).Select(a => "--" + a).Where(a => a != name).Distinct()];
        Option option = type == typeof(bool) && flag?.TrueValue is null ? new Option<bool?>(name, aliases) : new Option<string?>(name, aliases);
        option.Description = Help(property, flag, records);
        string[] words = type.IsEnum ? [.. Enum.GetNames(type).Select(Kebab)] : flag?.TrueValue is { } on ? [flag.FalseValue!, on] : [];
        option.HelpName = words.Length > 0 ? string.Join("|", words) : type == typeof(bool) ? "true|false" : HelpName(type);
        if (words.Length > 0) ((Option<string?>)option).AcceptOnlyFromAmong(words);
        return option;
    }

    // The property's summary, plus the defaults of the records that have it when they differ.
    private static string Help(PropertyInfo property, FlagAttribute? flag, IReadOnlyList<(string Name, object Defaults)> records)
    {
        var defaults = records.Select(r => (r.Name, Property: r.Defaults.GetType().GetProperty(property.Name), r.Defaults))
            .Where(r => r.Property is not null).Select(r => (r.Name, Value: Format(r.Property!.GetValue(r.Defaults), flag))).ToList();
        string summary = XmlDocs.Summary(property) ?? property.Name;
        if (defaults.Select(d => d.Value).Distinct().Count() > 1)
            summary += $" Defaults: {string.Join(", ", defaults.Select(d => $"{d.Name} {d.Value}"))}.";
        if (defaults.Count < records.Count) summary += $" ({string.Join(", ", defaults.Select(d => d.Name))} only)";
        return summary;
    }

    private static string Format(object? value, FlagAttribute? flag) => value switch
    {
        null => "none",
        bool b when flag?.TrueValue is { } on => b ? on : flag.FalseValue!,
        Enum e => Kebab(e.ToString()),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };

    private static string HelpName(Type t) => t == typeof(int) || t == typeof(ulong) ? "int" : t == typeof(string) ? "text" : "number";

    private static object? Value(ParseResult parse, Option option, PropertyInfo property)
    {
        if (option is Option<bool?> flagOption) return parse.GetValue(flagOption);
        var text = parse.GetValue((Option<string?>)option);
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (text is null) return null;
        var flag = Attribute.GetCustomAttribute(property, typeof(FlagAttribute), inherit: true) as FlagAttribute;
        object? value = type switch
        {
            _ when type == typeof(bool) => text == flag!.TrueValue ? true : text == flag.FalseValue ? false : null,
            _ when type == typeof(string) => text,
            _ when type.IsEnum => Enum.GetNames(type).FirstOrDefault(n => Kebab(n) == text) is { } n ? Enum.Parse(type, n) : null,
            _ when type == typeof(int) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null,
            _ when type == typeof(ulong) => ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var u) ? u : null,
            _ when type == typeof(float) => float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) ? f : null,
            _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null,
        };
        return value ?? throw new ArgumentException($"{option.Name}: '{text}' is not {option.HelpName}.");
    }

    /// <summary>PascalCase as kebab-case: MaxNewTokens → max-new-tokens, AllPairs → all-pairs.</summary>
    public static string Kebab(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
