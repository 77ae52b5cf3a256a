// Checkpoints of a REBEL run: policy and reference weights, AdamW moments, RNG state, iteration and data cursor.
// Written to a temporary folder and renamed into place, so an interrupted save never damages the previous checkpoint.
using System.Text.Json.Nodes;
using Rebel.Training.Checkpointing;
using Rebel.Training.Reporting;

namespace Rebel.Training;

public sealed partial class RebelTrainer
{
    /// <summary>Writes a resumable checkpoint to <paramref name="directory"/> (replacing an older one atomically).</summary>
    public void SaveCheckpoint(string directory)
    {
        CheckpointDirectory.Write(directory, tmp =>
        {
            WeightFile.SaveModel(policy, Path.Combine(tmp, "policy.safetensors"));
            ExportPolicy?.Invoke(Path.Combine(tmp, "policy"));
            WeightFile.SaveModel(reference, Path.Combine(tmp, "reference.safetensors"));
            WeightFile.SaveBuffers(optimizer.StateBuffers(), Path.Combine(tmp, "optimizer.safetensors"));
            TrainerState.Write(tmp, new JsonObject
            {
                ["algorithm"] = "rebel",
                ["iteration"] = Iteration,
                ["prompt_cursor"] = promptStream.Cursor,
                ["optimizer_steps"] = optimizer.StepCount,
                ["reward_queries"] = collector.RewardQueries,
                ["sampled_tokens"] = collector.SampledTokens,
            }, rng);
        });
    }

    /// <summary>Writes the policy as a Hugging Face folder at the given path inside each checkpoint (set by callers that own the tokenizer).</summary>
    public Action<string>? ExportPolicy { get; set; }

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/>; training then continues exactly as if never stopped.</summary>
    public void LoadCheckpoint(string directory)
    {
        var state = TrainerState.Read(directory, rng);
        WeightFile.LoadModel(policy, Path.Combine(directory, "policy.safetensors"));
        WeightFile.LoadModel(reference, Path.Combine(directory, "reference.safetensors"));
        WeightFile.LoadBuffers(optimizer.StateBuffers(), Path.Combine(directory, "optimizer.safetensors"));
        optimizer.RestoreStepCount(state["optimizer_steps"]!.GetValue<long>());
        Iteration = state["iteration"]!.GetValue<int>();
        promptStream.Cursor = state["prompt_cursor"]!.GetValue<long>();
        collector.Restore(state["reward_queries"]!.GetValue<long>(), state["sampled_tokens"]!.GetValue<long>());
        Metrics = MetricsLog.Resume(MetricsPath, keepUpToIteration: Iteration);
    }
}
