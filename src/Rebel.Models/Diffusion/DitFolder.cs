// A diffusion model on disk: a folder with config.json (DitConfig) and model.safetensors (F32, parameter names as DiT's).
using Rebel.Models.IO;
using Rebel.Tensors;

namespace Rebel.Models.Diffusion;

/// <summary>Saves and loads diffusion model folders (<see cref="DitModel"/> or <see cref="UnetModel"/>, as config.json's architecture says).</summary>
public static class DitFolder
{
    /// <summary>Writes config.json and model.safetensors into <paramref name="directory"/> (created if needed).</summary>
    public static void Save(IDenoiser model, string directory)
    {
        Directory.CreateDirectory(directory);
        model.Config.Save(Path.Combine(directory, DitConfig.FileName));
        CheckpointFolder.Save(directory, TensorData.FromNamed(model.Parameters));
    }

    /// <summary>Reads a folder written by <see cref="Save"/>; every parameter must be present with its shape.</summary>
    public static IDenoiser Load(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Diffusion model folder '{directory}' does not exist.");
        string configPath = Path.Combine(directory, DitConfig.FileName);
        var config = DitConfig.Load(configPath);
        using var folder = CheckpointFolder.Open(directory);
        folder.CheckSizes(config.MinimumParameters, configPath);
        var model = Denoiser.Create(config);
        foreach (var (name, p) in model.NamedParameters)
        {
            if (!folder.Contains(name)) throw new InvalidDataException($"{directory}: tensor '{name}' is missing.");
            var shape = folder.GetShape(name);
            if (!shape.AsSpan().SequenceEqual(p.Shape))
                throw new InvalidDataException($"{directory}: tensor '{name}' has shape {Tensor.Format(shape)}, the model expects {Tensor.Format(p.Shape)}.");
            folder.ReadInto(name, p.Span);
        }
        return model;
    }
}
