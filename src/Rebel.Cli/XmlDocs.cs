// The XML documentation the build writes next to each assembly (Rebel.Training.xml, …), read for the summaries of options
// properties, which become the help of the flags generated from them.
using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Rebel.Cli;

/// <summary>Summaries of documented members, as plain text.</summary>
internal static partial class XmlDocs
{
    private static readonly Dictionary<Assembly, Dictionary<string, string>> Loaded = [];

    /// <summary>The &lt;summary&gt; of <paramref name="property"/> as one line of text, or null when the documentation file is absent.</summary>
    public static string? Summary(PropertyInfo property)
    {
        var type = property.DeclaringType!;
        var docs = For(type.Assembly);
        return docs.TryGetValue($"P:{type.FullName}.{property.Name}", out var text) ? text : null;
    }

    private static Dictionary<string, string> For(Assembly assembly)
    {
        lock (Loaded)
        {
            if (Loaded.TryGetValue(assembly, out var docs)) return docs;
            docs = [];
            var path = Path.ChangeExtension(assembly.Location, ".xml");
            if (File.Exists(path))
            {
                foreach (var member in XDocument.Load(path).Descendants("member"))
                    if (member.Element("summary") is { } summary && member.Attribute("name")?.Value is { } name) docs[name] = Text(summary);
            }
            return Loaded[assembly] = docs;
        }
    }

    // <see cref="T:Ns.Type"/> becomes "Type", other markup its text; whitespace collapses to single spaces.
    private static string Text(XElement summary)
    {
        foreach (var see in summary.Descendants().Where(e => e.Name == "see" || e.Name == "paramref").ToList())
            see.ReplaceWith((see.Attribute("cref")?.Value ?? see.Attribute("name")?.Value ?? see.Value).Split('.', ':')[^1]);
        return Spaces().Replace(summary.Value, " ").Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
