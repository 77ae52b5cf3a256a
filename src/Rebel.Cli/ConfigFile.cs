// `--config FILE`: a JSON or YAML mapping whose keys are the command's flags (kebab-case or snake_case). Its entries are
// turned into flags placed before the ones typed, and only for flags not typed, so the command line overrides the file.
using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rebel.Models.IO;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Rebel.Cli;

/// <summary>Reads option files and merges them into the argument list.</summary>
internal static class ConfigFile
{
    private const string Flag = "--config";

    /// <summary>
    /// <paramref name="args"/> with the entries of the <c>--config</c> file (if any) added as flags of the chosen subcommand.
    /// Unknown keys and unreadable files throw InvalidDataException naming the file.
    /// </summary>
    public static string[] Expand(RootCommand root, string[] args)
    {
        int at = Array.FindIndex(args, a => a == Flag || a.StartsWith(Flag + "=", StringComparison.Ordinal));
        int commandAt = Array.FindIndex(args, a => root.Subcommands.Any(c => c.Name == a));
        if (at < 0 || commandAt < 0 || commandAt > at) return args;
        Command command = root.Subcommands.First(c => c.Name == args[commandAt]);
        string commandPath = command.Name;
        while (commandAt + 1 < at && command.Subcommands.FirstOrDefault(c => c.Name == args[commandAt + 1]) is { } sub)
            (command, commandAt, commandPath) = (sub, commandAt + 1, $"{commandPath} {sub.Name}");
        if (command.Options.All(o => o.Name != Flag)) return args;
        string? path = args[at] == Flag ? (at + 1 < args.Length ? args[at + 1] : null) : args[at][(Flag.Length + 1)..];
        if (string.IsNullOrEmpty(path)) return args;
        var added = new List<string>();
        foreach (var (key, values) in Load(path))
        {
            string name = "--" + key.Replace('_', '-').ToLowerInvariant();
            if (name == Flag) continue;
            var option = command.Options.FirstOrDefault(o => o.Name == name || o.Aliases.Contains(name))
                ?? throw new InvalidDataException($"{path}: unknown key '{key}' for 'rebel {commandPath}'. Known keys: {string.Join(", ", command.Options.Select(o => o.Name.TrimStart('-')).Where(n => n != "help" && n != "config"))}.");
            string[] names = [option.Name, .. option.Aliases];
            if (args.Any(a => names.Any(n => a == n || a.StartsWith(n + "=", StringComparison.Ordinal) || a.StartsWith(n + ":", StringComparison.Ordinal)))) continue;
            if (option.ValueType == typeof(bool))
            {
                if (values.Count != 1 || !bool.TryParse(values[0], out var on)) throw new InvalidDataException($"{path}: '{key}' must be true or false.");
                if (on) added.Add(name);
            }
            else
            {
                added.AddRange(values.Select(v => $"{name}={v}"));
            }
        }
        return [.. args[..(commandAt + 1)], .. added, .. args[(commandAt + 1)..]];
    }

    /// <summary>The key → values entries of a JSON (.json) or YAML file; lists give several values, nulls none.</summary>
    public static List<(string Key, List<string> Values)> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Config file '{path}' does not exist.", path);
        string text = File.ReadAllText(path);
        return Path.GetExtension(path).Equals(".json", StringComparison.OrdinalIgnoreCase) ? LoadJson(text, path) : LoadYaml(text, path);
    }

    private static List<(string, List<string>)> LoadJson(string text, string path)
    {
        var root = JsonFiles.ParseNode(text, path);
        if (root is not JsonObject obj) throw new InvalidDataException($"{path}: expected a JSON object of option names and values.");
        return [.. obj.Select(kv => (kv.Key, kv.Value switch
        {
            null => [],
            JsonArray a => a.Select(n => Scalar(n, path, kv.Key)).ToList(),
            var n => new List<string> { Scalar(n, path, kv.Key) },
        }))];
    }

    private static string Scalar(JsonNode? node, string path, string key) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v => v.ToJsonString(),
        _ => throw new InvalidDataException($"{path}: '{key}' must be a string, number, boolean or list of them."),
    };

    private static List<(string, List<string>)> LoadYaml(string text, string path)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{path}:{e.Start.Line}: malformed YAML: {e.Message}", e);
        }
        if (stream.Documents.Count == 0) return [];
        if (stream.Documents[0].RootNode is not YamlMappingNode map) throw new InvalidDataException($"{path}: expected a mapping of option names and values.");
        var entries = new List<(string, List<string>)>();
        foreach (var (k, v) in map.Children)
        {
            string key = k is YamlScalarNode ks ? ks.Value ?? "" : throw new InvalidDataException($"{path}:{k.Start.Line}: keys must be plain names.");
            List<string> values = v switch
            {
                YamlScalarNode s when IsNull(s) => [],
                YamlScalarNode s => [s.Value ?? ""],
                YamlSequenceNode seq => [.. seq.Children.Select(c => c is YamlScalarNode cs ? cs.Value ?? "" : throw new InvalidDataException($"{path}:{c.Start.Line}: '{key}' must list plain values."))],
                _ => throw new InvalidDataException($"{path}:{v.Start.Line}: '{key}' must be a value or a list of values."),
            };
            entries.Add((key, values));
        }
        return entries;
    }

    private static bool IsNull(YamlScalarNode s) => s.Style == ScalarStyle.Plain && s.Value is null or "" or "~" or "null" or "Null" or "NULL";
}
