// Checkpoints of a REBEL run: policy and reference weights, AdamW moments, RNG state, iteration and data cursor.
// Written to a temporary folder and renamed into place, so an interrupted save never damages the previous checkpoint.
using System.Text.Json.Nodes;
using Rebel.Models.IO;
using Rebel.Training.Checkpointing;
using Rebel.Training.Reporting;

namespace Rebel.Training;

public sealed partial class RebelTrainer
{
    private const string StateFile = "trainer_state.json";

    /// <summary>Writes a resumable checkpoint to <paramref name="directory"/> (replacing an older one atomically).</summary>
    public void SaveCheckpoint(string directory)
    {
        CheckpointDirectory.Write(directory, tmp =>
        {
            WeightFile.SaveModel(policy, Path.Combine(tmp, "policy.safetensors"));
            ExportPolicy?.Invoke(Path.Combine(tmp, "policy"));
            WeightFile.SaveModel(reference, Path.Combine(tmp, "reference.safetensors"));
            WeightFile.SaveBuffers(optimizer.StateBuffers(), Path.Combine(tmp, "optimizer.safetensors"));
            var state = new JsonObject
            {
                ["algorithm"] = "rebel",
                ["iteration"] = Iteration,
                ["prompt_cursor"] = promptCursor,
                ["optimizer_steps"] = optimizer.StepCount,
                ["reward_queries"] = collector.RewardQueries,
                ["sampled_tokens"] = collector.SampledTokens,
                ["rng"] = new JsonArray([.. rng.GetState().Select(w => (JsonNode)JsonValue.Create(w.ToString(System.Globalization.CultureInfo.InvariantCulture)))]),
            };
            AtomicFile.WriteText(Path.Combine(tmp, StateFile), state.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        });
    }

    /// <summary>Writes the policy as a Hugging Face folder at the given path inside each checkpoint (set by callers that own the tokenizer).</summary>
    public Action<string>? ExportPolicy { get; set; }

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/>; training then continues exactly as if never stopped.</summary>
    public void LoadCheckpoint(string directory)
    {
        var statePath = Path.Combine(directory, StateFile);
        if (!File.Exists(statePath)) throw new FileNotFoundException($"Resume: '{directory}' has no {StateFile}; is it a checkpoint folder?", statePath);
        var state = JsonNode.Parse(File.ReadAllText(statePath))?.AsObject() ?? throw new InvalidDataException($"{statePath}: empty state.");
        WeightFile.LoadModel(policy, Path.Combine(directory, "policy.safetensors"));
        WeightFile.LoadModel(reference, Path.Combine(directory, "reference.safetensors"));
        WeightFile.LoadBuffers(optimizer.StateBuffers(), Path.Combine(directory, "optimizer.safetensors"));
        optimizer.RestoreStepCount(state["optimizer_steps"]!.GetValue<long>());
        Iteration = state["iteration"]!.GetValue<int>();
        promptCursor = state["prompt_cursor"]!.GetValue<long>();
        collector.Restore(state["reward_queries"]!.GetValue<long>(), state["sampled_tokens"]!.GetValue<long>());
        rng.SetState([.. state["rng"]!.AsArray().Select(n => ulong.Parse(n!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture))]);
        Metrics = MetricsLog.Resume(MetricsPath, keepUpToIteration: Iteration);
    }
}
