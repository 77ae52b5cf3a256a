// Rebel as a library: the NuGet packages `dotnet test` builds (the test project packs Rebel.Tensors, Rebel.Models and Rebel.Training
// after its build), the examples/CustomReward program run as a user would run it, and the README's "Use from C#" code kept equal to it.
using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace Rebel.Training.Tests;

public class LibraryTests
{
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Rebel.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No Rebel.slnx above {AppContext.BaseDirectory}.");
    }

    // bin/<Configuration>/net10.0/ of this test project: the example is built in the same configuration.
    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    [Theory]
    [InlineData("Rebel.Tensors", new[] { "System.Numerics.Tensors" })]
    [InlineData("Rebel.Models", new[] { "Rebel.Tensors" })]
    [InlineData("Rebel.Training", new[] { "Rebel.Models", "Parquet.Net" })]
    public void EachLibraryIsPackedWithItsMetadataDocsReadmeAndDependencies(string id, string[] dependencies)
    {
        string version = typeof(RebelTrainer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        string package = Path.Combine(AppContext.BaseDirectory, "packages", $"{id}.{version}.nupkg");
        Assert.True(File.Exists(package), $"{package} was not packed by the test project's build.");
        using var zip = ZipFile.OpenRead(package);
        var files = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains($"lib/net10.0/{id}.dll", files);
        Assert.Contains($"lib/net10.0/{id}.xml", files); // XML docs: IntelliSense for users
        Assert.Contains("README.md", files);
        using var nuspecStream = zip.Entries.Single(e => e.FullName == $"{id}.nuspec").Open();
        var metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Field(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
        Assert.Equal(id, Field("id"));
        Assert.Equal(version, Field("version"));
        Assert.Equal("MIT", Field("license"));
        Assert.Equal("README.md", Field("readme"));
        Assert.True(Field("description").Length > 40, "a real description");
        var depends = metadata.Descendants().Where(e => e.Name.LocalName == "dependency").ToDictionary(e => e.Attribute("id")!.Value, e => e.Attribute("version")!.Value);
        Assert.Equal(dependencies.Order(), depends.Keys.Order());
        foreach (var rebel in dependencies.Where(d => d.StartsWith("Rebel.", StringComparison.Ordinal))) Assert.Equal(version, depends[rebel]);
    }

    [Fact]
    public void TheCustomRewardExampleTrainsTwoIterationsAndWritesARunFolder()
    {
        string dll = Path.Combine(RepoRoot(), "examples", "CustomReward", "bin", Configuration, "net10.0", "CustomReward.dll");
        Assert.True(File.Exists(dll), $"{dll} was not built (the test project builds it first).");
        // The runtime settings the README asks library users for are in the example's runtimeconfig.
        var config = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(dll, ".runtimeconfig.json")))!["runtimeOptions"]!["configProperties"]!;
        Assert.Equal(7, config["System.GC.ConserveMemory"]!.GetValue<int>());
        Assert.False(config["System.GC.Concurrent"]!.GetValue<bool>());

        var dir = Directory.CreateTempSubdirectory("rebel-example-");
        try
        {
            var start = new ProcessStartInfo(MpiRun.Dotnet) { ArgumentList = { dll, dir.FullName } };
            var (code, stdout, stderr) = MpiRun.Run(start, "examples/CustomReward");
            Assert.True(code == 0, $"exit {code}: {stdout}\n{stderr}");
            Assert.Contains("iteration 2: score", stdout);
            var rows = Reporting.MetricsLog.Read(Path.Combine(dir.FullName, "metrics.jsonl"));
            Assert.Equal([1.0, 2.0], rows.Select(r => r["iteration"]));
            Assert.Contains(("iterations", "2"), Reporting.Hyperparameters.Read(dir.FullName));
            Assert.Contains(("algorithm", "rebel"), Reporting.Hyperparameters.Read(dir.FullName));
            Assert.True(File.Exists(Path.Combine(dir.FullName, "policy", "model.safetensors")));
            Assert.True(File.Exists(Path.Combine(dir.FullName, "checkpoint", "trainer_state.json")));
            Assert.Contains("objective/scores", File.ReadAllText(Path.Combine(dir.FullName, "report.html")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void TheReadmesUseFromCSharpCodeIsTheExamplesCode()
    {
        string root = RepoRoot(), readme = File.ReadAllText(Path.Combine(root, "README.md"));
        int section = readme.IndexOf("\n## Use from C#", StringComparison.Ordinal);
        Assert.True(section >= 0, "README has a \"Use from C#\" section.");
        int open = readme.IndexOf("```csharp\n", section, StringComparison.Ordinal), close = readme.IndexOf("\n```", open + 1, StringComparison.Ordinal);
        Assert.True(open > 0 && open < readme.IndexOf("\n## ", section + 1, StringComparison.Ordinal), "the section has a csharp block");
        var shown = readme[(open + "```csharp\n".Length)..close].Split('\n');
        var program = File.ReadAllLines(Path.Combine(root, "examples", "CustomReward", "Program.cs"));
        // Every line shown is the example's, in its order (the README may leave lines out, never change them).
        int at = 0;
        foreach (var line in shown.Where(l => l.Trim().Length > 0 && l.Trim() != "// …"))
        {
            while (at < program.Length && program[at] != line) at++;
            Assert.True(at < program.Length, $"README line not in examples/CustomReward/Program.cs (in order): {line}");
            at++;
        }
    }
}
