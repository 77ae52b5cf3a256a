// The flags several commands share, one name per concept (README "One vocabulary"): --data for the file trained or evaluated on,
// --out for the output folder (TRL's --output-dir too), --config for a file of flags, model/ for the model a command trained.
// Older names stay as aliases (policy/, which train, dpo and image train wrote, as a link to model/).
using System.CommandLine;
using Rebel.Models;
using Rebel.Tensors;
using Rebel.Tensors.Distributed;

namespace Rebel.Cli.Commands;

/// <summary>Builders of the flags several commands share.</summary>
internal static class CommonFlags
{
    /// <summary>What a prompt file holds (train, eval).</summary>
    public const string PromptsHelp = "Prompts (.jsonl, .json or .parquet): {\"prompt\": text or messages} or {\"messages\": [...]}, extra fields for the reward.";

    /// <summary>What a preference-pair file holds (dpo, reward).</summary>
    public const string PairsHelp = "Preference pairs (.jsonl, .json or .parquet): {\"prompt\", \"chosen\", \"rejected\"} or, prompt implicit, {\"chosen\", \"rejected\"}; each a string or a list of messages.";

    /// <summary>The required --data flag (the command's data file), also accepted under the command's older name <paramref name="alias"/>.</summary>
    public static Option<string> Data(string description, string? alias = null) =>
        new("--data", alias is null ? [] : [alias]) { Description = description, Required = true };

    /// <summary>The --out flag of a command writing a folder (default <paramref name="defaultPath"/>), also accepted as TRL's --output-dir.</summary>
    public static Option<string> Out(string defaultPath, string description = "Output folder.") =>
        new("--out", "--output-dir") { Description = description, DefaultValueFactory = _ => defaultPath };

    /// <summary>The --config flag (ConfigFile expands it before parsing).</summary>
    public static Option<string?> Config() =>
        new("--config") { Description = "JSON or YAML file of flags (kebab-case or snake_case keys); flags typed override it." };

    /// <summary>The --device flag of every command that runs a model.</summary>
    public static Option<string> Device() => new("--device")
    {
        Description = "Where the model computes: cpu (the default), cuda (an NVIDIA GPU; needs its driver and cuBLAS 12 or 13) or ilgpu-cpu " +
            "(the GPU kernels run by CPU threads, to check them; slow).",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>
    /// The device --device names, opened once per process (a command opens it first thing, so a missing GPU or driver is a clear
    /// error before any model is read, and again when it moves the model).
    /// </summary>
    public static TensorDevice OpenDevice(ParseResult parse, Option<string> device)
    {
        string name = parse.GetValue(device)!;
        lock (OpenDevices)
        {
            if (!OpenDevices.TryGetValue(name, out var opened)) OpenDevices[name] = opened = Accelerators.Device.Open(name);
            return opened;
        }
    }

    private static readonly Dictionary<string, TensorDevice> OpenDevices = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Moves <paramref name="model"/> to the --device named (nothing to do for cpu).</summary>
    public static TensorDevice MoveToDevice(ParseResult parse, Option<string> device, LanguageModel model)
    {
        var opened = OpenDevice(parse, device);
        if (!opened.IsHost) model.ToDevice(opened);
        return opened;
    }

    /// <summary>The folder in --out that every training command writes its trained model to.</summary>
    public const string ModelFolderName = "model";

    /// <summary>
    /// <paramref name="outDir"/>/<paramref name="formerName"/> as a link to model/, for scripts that read the name earlier versions wrote;
    /// replaces a folder of that name from an earlier run; skipped where the file system makes no links (and on ranks other than 0).
    /// </summary>
    public static void LinkFormerName(string outDir, string formerName)
    {
        if (!Collectives.IsRoot) return;
        var link = new DirectoryInfo(Path.Combine(outDir, formerName));
        try
        {
            if (link.LinkTarget is not null) link.Delete();
            else if (link.Exists) link.Delete(recursive: true);
            Directory.CreateSymbolicLink(link.FullName, ModelFolderName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            // no link: model/ is there all the same
        }
    }
}
