// `cmd:PROGRAM ARGS` for images: each image is written as a PNG into a temporary folder and the program receives one
// {"image": "/path.png", "prompt": "..."} JSON line per image on stdin, answering {"reward": x} per line (RewardProcess).
using System.Globalization;
using System.Text.Json.Nodes;
using Rebel.Training.Images.Data;
using Rebel.Training.Rewards;

namespace Rebel.Training.Images.Rewards;

/// <summary>Scores images with an external program. The PNGs of a batch are deleted once the program has answered for all of them.</summary>
public sealed class CommandImageReward : IImageReward, IDisposable
{
    private readonly RewardProcess process;
    private DirectoryInfo? folder;
    private int batches;

    /// <summary>Runs <paramref name="commandLine"/> through the shell when first needed; each answer must arrive within <paramref name="timeout"/> (default 10 minutes).</summary>
    public CommandImageReward(string commandLine, TimeSpan? timeout = null) => process = new RewardProcess(commandLine, timeout);

    /// <summary>The temporary folder the PNGs are written to; null until the first batch.</summary>
    internal string? Folder => folder?.FullName;

    /// <inheritdoc />
    public string Name => $"cmd:{process.Command}";

    /// <inheritdoc />
    public float[] Score(IReadOnlyList<float[]> images, IReadOnlyList<string> prompts, int size)
    {
        ImageRewardChecks.Batch(images, prompts, size);
        folder ??= Directory.CreateTempSubdirectory("rebel-image-reward-");
        int batch = batches++;
        var paths = new string[images.Count];
        try
        {
            var requests = new List<JsonObject>(images.Count);
            for (int i = 0; i < images.Count; i++)
            {
                paths[i] = Path.Combine(folder.FullName, string.Create(CultureInfo.InvariantCulture, $"{batch:D6}-{i:D5}.png"));
                Png.Save(paths[i], ShapesDataset.ToRgb(images[i], size), size, size);
                requests.Add(new JsonObject { ["image"] = paths[i], ["prompt"] = prompts[i] });
            }
            return process.Score(requests, i => $"image {i} of the batch (prompt \"{RewardProcess.Shorten(prompts[i])}\", {paths[i]})");
        }
        finally
        {
            foreach (var path in paths) if (path is not null) File.Delete(path);
        }
    }

    /// <summary>Stops the program and deletes the temporary folder.</summary>
    public void Dispose()
    {
        process.Dispose();
        if (folder is { Exists: true }) folder.Delete(recursive: true);
        folder = null;
    }
}
