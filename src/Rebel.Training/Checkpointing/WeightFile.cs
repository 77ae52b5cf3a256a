// Saving and restoring lists of float buffers (model weights, optimizer moments) as safetensors files.
using Rebel.Models;
using Rebel.Models.IO;
using Rebel.Tensors;

namespace Rebel.Training.Checkpointing;

/// <summary>Weights and optimizer state as safetensors files, always written atomically.</summary>
public static class WeightFile
{
    /// <summary>Writes <paramref name="model"/>'s trainable state under its names (F32): every weight, or with LoRA only the adapters.</summary>
    public static void SaveModel(LanguageModel model, string path) => SaveParameters(model.CheckpointTensors, path);

    /// <summary>Writes named parameters (any model's) under their names (F32).</summary>
    public static void SaveParameters(IReadOnlyDictionary<string, Tensor> parameters, string path) =>
        SafetensorsWriter.Write(path, parameters.ToDictionary(kv => kv.Key, kv => new TensorData(kv.Value.Shape, kv.Value.ToArray())));

    /// <summary>Reads what <see cref="SaveModel"/> wrote into <paramref name="model"/>; names and shapes must match.</summary>
    public static void LoadModel(LanguageModel model, string path) => LoadParameters(model.CheckpointTensors, path);

    /// <summary>Reads named parameters (any model's) from <paramref name="path"/>; names and shapes must match.</summary>
    public static void LoadParameters(IReadOnlyDictionary<string, Tensor> parameters, string path)
    {
        using var reader = SafetensorsReader.Open(path);
        foreach (var (name, p) in parameters)
        {
            if (!reader.Contains(name)) throw new InvalidDataException($"{path}: tensor '{name}' is missing.");
            var info = reader.GetInfo(name);
            if (!info.Shape.AsSpan().SequenceEqual(p.Shape))
                throw new InvalidDataException($"{path}: tensor '{name}' has shape {Tensor.Format(info.Shape)}, the model expects {Tensor.Format(p.Shape)}.");
            if (!p.IsBf16 && !p.IsOnDevice)
            {
                reader.ReadInto(name, p.Span);
                continue;
            }
            var values = new float[p.Size]; // a bf16-held weight (a frozen reference) is read as float32, then narrowed; one on an accelerator uploaded
            reader.ReadInto(name, values);
            p.SetValues(values);
        }
    }

    /// <summary>Writes buffers as tensors "state.0", "state.1", ….</summary>
    public static void SaveBuffers(IReadOnlyList<float[]> buffers, string path)
    {
        var tensors = new Dictionary<string, TensorData>();
        for (int i = 0; i < buffers.Count; i++) tensors[$"state.{i}"] = new TensorData([buffers[i].Length], buffers[i]);
        SafetensorsWriter.Write(path, tensors);
    }

    /// <summary>Reads buffers written by <see cref="SaveBuffers"/> into the given arrays (lengths must match).</summary>
    public static void LoadBuffers(IReadOnlyList<float[]> buffers, string path)
    {
        using var reader = SafetensorsReader.Open(path);
        for (int i = 0; i < buffers.Count; i++)
        {
            string name = $"state.{i}";
            if (!reader.Contains(name)) throw new InvalidDataException($"{path}: tensor '{name}' is missing.");
            var info = reader.GetInfo(name);
            if (info.ElementCount != buffers[i].Length)
                throw new InvalidDataException($"{path}: tensor '{name}' has {info.ElementCount} values, expected {buffers[i].Length}.");
            reader.ReadInto(name, buffers[i]);
        }
    }
}
