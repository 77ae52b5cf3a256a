// The checkpoint every trainer writes: a folder replaced atomically holding the optimizer's moments and trainer_state.json
// (algorithm, optimizer steps, RNG words, and whatever the trainer adds), plus the trainer's own files. A checkpoint of
// another algorithm is refused on load.
using System.Text.Json.Nodes;
using Rebel.Tensors;
using Rebel.Tensors.Optim;

namespace Rebel.Training.Checkpointing;

/// <summary>Writes and reads the parts of a checkpoint every trainer shares.</summary>
public static class TrainerCheckpoint
{
    /// <summary>
    /// Writes <paramref name="directory"/> atomically: optimizer.safetensors, then <paramref name="save"/> (temporary folder, state object)
    /// adds the trainer's files and state, then trainer_state.json with the algorithm, optimizer steps and the RNG.
    /// </summary>
    public static void Save(string directory, string algorithm, Optimizer optimizer, Rng rng, Action<string, JsonObject> save)
    {
        CheckpointDirectory.Write(directory, tmp =>
        {
            WeightFile.SaveBuffers(optimizer.StateBuffers(), Path.Combine(tmp, "optimizer.safetensors"));
            var state = new JsonObject { ["algorithm"] = algorithm, ["optimizer_steps"] = optimizer.StepCount };
            save(tmp, state);
            TrainerState.Write(tmp, state, rng);
        });
    }

    /// <summary>Reads a checkpoint written by <see cref="Save"/> for <paramref name="algorithm"/>: restores the RNG and the optimizer, returns the state.</summary>
    public static JsonObject Load(string directory, string algorithm, Optimizer optimizer, Rng rng)
    {
        var state = TrainerState.Read(directory, rng);
        if (state["algorithm"]?.GetValue<string>() != algorithm)
            throw new InvalidDataException($"Resume: '{directory}' is a {state["algorithm"]} checkpoint, not {algorithm}.");
        WeightFile.LoadBuffers(optimizer.StateBuffers(), Path.Combine(directory, "optimizer.safetensors"));
        optimizer.StateBuffersWritten();
        optimizer.RestoreStepCount(state["optimizer_steps"]!.GetValue<long>());
        return state;
    }

    /// <summary>An int array as a JSON array (data orders).</summary>
    public static JsonArray ToJson(int[] values) => new([.. values.Select(v => (JsonNode)v)]);

    /// <summary>The int array written by <see cref="ToJson"/>.</summary>
    public static int[] IntArray(JsonNode? node) => [.. node!.AsArray().Select(n => n!.GetValue<int>())];
}
