// Command-line flags generated from options records: one flag per settable property of each record, named in kebab case after
// the property (or by its [Flag] attribute, whose further names are aliases), its help the property's documented summary and
// each algorithm's default. Flags shared by several records are one flag; a typed flag is applied onto a record of defaults, and a
// flag (or one of its names) the chosen record lacks is reported with the flag that record takes instead.
using System.CommandLine;
using System.Globalization;
using System.Reflection;
using Rebel.Training;

namespace Rebel.Cli.Commands;

/// <summary>The flags of a set of options records (one per algorithm) and their reading.</summary>
internal sealed class OptionFlags
{
    // One property of one record behind a flag, with the names (with "--") that record accepts for it.
    private sealed record Binding(string Record, object Defaults, PropertyInfo Property, FlagAttribute? Flag, string[] Names);

    private readonly Dictionary<string, Option> byName = [];
    private readonly Dictionary<Option, List<Binding>> bound = [];

    /// <summary>Flags for every settable property of the <paramref name="records"/> (algorithm name, record of its defaults).</summary>
    public OptionFlags(IReadOnlyList<(string Name, object Defaults)> records)
    {
        var groups = new Dictionary<string, List<Binding>>();
        foreach (var (record, defaults) in records)
        {
            foreach (var property in Settable(defaults.GetType()))
            {
                var flag = Attribute.GetCustomAttribute(property, typeof(FlagAttribute), inherit: true) as FlagAttribute;
                string[] names = [.. (flag?.Names ?? []).Append(Kebab(property.Name)).Select(n => "--" + n).Distinct()];
                if (!groups.TryGetValue(names[0], out var list)) groups[names[0]] = list = [];
                list.Add(new Binding(record, defaults, property, flag, names));
            }
        }
        foreach (var (main, bindings) in groups)
        {
            string[] aliases = [.. bindings.SelectMany(b => b.Names).Distinct().Where(n => n != main)];
            var first = bindings[0];
            var type = Nullable.GetUnderlyingType(first.Property.PropertyType) ?? first.Property.PropertyType;
            Option option = type == typeof(bool) && first.Flag?.TrueValue is null ? new Option<bool?>(main, aliases) : new Option<string?>(main, aliases);
            option.Description = Help(bindings, records.Count);
            string[] words = type.IsEnum ? [.. Enum.GetNames(type).Select(Kebab)] : first.Flag?.TrueValue is { } on ? [first.Flag.FalseValue!, on] : [];
            option.HelpName = words.Length > 0 ? string.Join("|", words) : type == typeof(bool) ? "true|false" : HelpName(type);
            if (words.Length > 0) ((Option<string?>)option).AcceptOnlyFromAmong(words);
            byName[main] = option;
            bound[option] = bindings;
        }
    }

    /// <summary>Every flag, for adding to a command.</summary>
    public IEnumerable<Option> All => byName.Values;

    /// <summary>True when the user gave the flag of the property named <paramref name="propertyName"/> (on the command line or in --config).</summary>
    public bool Typed(ParseResult parse, string propertyName) =>
        bound.Any(b => parse.GetResult(b.Key) is not null && b.Value.Any(x => x.Property.Name == propertyName));

    /// <summary><paramref name="defaults"/> with every typed flag of its record applied.</summary>
    public T Read<T>(ParseResult parse, T defaults) where T : class
    {
        var clone = (T)defaults.GetType().GetMethod("<Clone>$")!.Invoke(defaults, null)!;
        foreach (var (option, bindings) in bound)
        {
            if (parse.GetResult(option) is null || For(bindings, clone.GetType()) is not { } binding) continue;
            binding.Property.SetValue(clone, Value(parse, option, binding));
        }
        return clone;
    }

    /// <summary>
    /// The error for the first typed flag that <paramref name="optionsType"/> (the options of <paramref name="algo"/>) takes under none of
    /// the names typed, naming whose flag it is and what <paramref name="algo"/> takes instead; null when every typed flag applies.
    /// </summary>
    public string? Misplaced(ParseResult parse, Type optionsType, string algo)
    {
        foreach (var (option, bindings) in bound)
        {
            if (parse.GetResult(option) is not { } result) continue;
            string typed = result.IdentifierToken?.Value ?? option.Name;
            var own = For(bindings, optionsType);
            if (own is not null && own.Names.Contains(typed)) continue;
            var owners = bindings.Where(b => b.Names.Contains(typed)).ToList();
            string whose = owners.Count == 0 ? "" : $": it is {string.Join(", ", owners.Select(b => b.Record))}'s ({Gist(owners[0].Property)})";
            string instead = own is not null ? $" {algo}'s is {own.Names[0]} ({Gist(own.Property)})."
                : TrlHint(typed, optionsType) is { } hint ? $" {algo}'s {hint}" : "";
            return $"{typed} does not apply to --algo {algo}{whose}.{instead}";
        }
        return null;
    }

    // "KL coefficient, TRL's beta, is --kl-coef" when a property of the record is marked [TrlName] with the typed name.
    private string? TrlHint(string typed, Type optionsType)
    {
        foreach (var property in Settable(optionsType))
        {
            if (Attribute.GetCustomAttribute(property, typeof(TrlNameAttribute), inherit: true) is not TrlNameAttribute trl || "--" + trl.Name.Replace('_', '-') != typed) continue;
            var option = bound.First(b => b.Value.Any(x => x.Property.Name == property.Name)).Key;
            return $"setting TRL calls {trl.Name} is {option.Name}.";
        }
        return null;
    }

    // The first sentence of a property's summary, for naming it in an error.
    private static string Gist(PropertyInfo property) => (XmlDocs.Summary(property) ?? property.Name).Split(". ")[0].TrimEnd('.');

    private static Binding? For(List<Binding> bindings, Type optionsType) => bindings.FirstOrDefault(b => b.Property.DeclaringType!.IsAssignableFrom(optionsType));

    private static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true } && Supported(p.PropertyType));

    private static bool Supported(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        return t == typeof(int) || t == typeof(float) || t == typeof(double) || t == typeof(ulong) || t == typeof(bool) || t == typeof(string) || t.IsEnum;
    }

    // The first record's summary of the property, then its default: one value when the records agree, else each record's.
    private static string Help(List<Binding> bindings, int recordCount)
    {
        var defaults = bindings.Select(b => (b.Record, Value: Format(b.Property.GetValue(b.Defaults), b.Flag))).ToList();
        string summary = XmlDocs.Summary(bindings[0].Property) ?? bindings[0].Property.Name;
        summary += defaults.Select(d => d.Value).Distinct().Count() > 1
            ? $" Defaults: {string.Join(", ", defaults.Select(d => $"{d.Record} {d.Value}"))}."
            : $" [default: {defaults[0].Value}]";
        if (defaults.Count < recordCount) summary += $" ({string.Join(", ", defaults.Select(d => d.Record))} only)";
        return summary;
    }

    private static string Format(object? value, FlagAttribute? flag) => value switch
    {
        null => "none",
        bool b when flag?.TrueValue is { } on => b ? on : flag.FalseValue!,
        Enum e => Kebab(e.ToString()),
        float or double => ((IFormattable)value).ToString("g", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };

    private static string HelpName(Type t) => t == typeof(int) || t == typeof(ulong) ? "int" : t == typeof(string) ? "text" : "number";

    private static object? Value(ParseResult parse, Option option, Binding binding)
    {
        if (option is Option<bool?> flagOption) return parse.GetValue(flagOption);
        var text = parse.GetValue((Option<string?>)option);
        var type = Nullable.GetUnderlyingType(binding.Property.PropertyType) ?? binding.Property.PropertyType;
        if (text is null) return null;
        var flag = binding.Flag;
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
