// Checkpoints of every policy trainer: optimizer moments, RNG state, iteration, data cursor and the algorithm's name, plus what
// the trainer family and the method add (weights, counters, a critic, a baseline). Written to a temporary folder and renamed
// into place, so an interrupted save never damages the previous checkpoint; a checkpoint of another algorithm is refused.
using System.Text.Json.Nodes;
using Rebel.Training.Checkpointing;
using Rebel.Training.Reporting;

namespace Rebel.Training;

public abstract partial class PolicyTrainer<TRollout>
{
    /// <summary>Writes a resumable checkpoint to <paramref name="directory"/> (replacing an older one atomically).</summary>
    public void SaveCheckpoint(string directory)
    {
        CheckpointDirectory.Write(directory, tmp =>
        {
            WeightFile.SaveBuffers(Optimizer.StateBuffers(), Path.Combine(tmp, "optimizer.safetensors"));
            var state = new JsonObject
            {
                ["algorithm"] = Algorithm,
                ["iteration"] = Iteration,
                ["prompt_cursor"] = promptStream.Cursor,
                ["optimizer_steps"] = Optimizer.StepCount,
            };
            SaveState(tmp, state);
            TrainerState.Write(tmp, state, Random);
        });
    }

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/>; training then continues exactly as if never stopped.</summary>
    public void LoadCheckpoint(string directory)
    {
        var state = TrainerState.Read(directory, Random);
        if (state["algorithm"]?.GetValue<string>() != Algorithm)
            throw new InvalidDataException($"Resume: '{directory}' is a {state["algorithm"]} checkpoint, not {Algorithm}.");
        WeightFile.LoadBuffers(Optimizer.StateBuffers(), Path.Combine(directory, "optimizer.safetensors"));
        Optimizer.RestoreStepCount(state["optimizer_steps"]!.GetValue<long>());
        Iteration = state["iteration"]!.GetValue<int>();
        promptStream.Cursor = state["prompt_cursor"]!.GetValue<long>();
        LoadState(directory, state);
        Metrics = MetricsLog.Resume(MetricsPath, keepUpToIteration: Iteration);
    }

    /// <summary>Saves the weights and whatever else the trainer needs to resume into the checkpoint folder and state object; overrides call the base first.</summary>
    protected abstract void SaveState(string directory, JsonObject state);

    /// <summary>Restores what <see cref="SaveState"/> wrote; overrides call the base first.</summary>
    protected abstract void LoadState(string directory, JsonObject state);
}
