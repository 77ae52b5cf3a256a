// Checkpoints of every policy trainer (TrainerCheckpoint: optimizer, RNG, algorithm) with the iteration and data cursor, plus what
// the trainer family and the method add through SaveState/LoadState (weights, counters, a critic, a baseline).
using System.Text.Json.Nodes;
using Rebel.Training.Checkpointing;
using Rebel.Training.Reporting;

namespace Rebel.Training;

public abstract partial class PolicyTrainer<TRollout>
{
    /// <summary>Writes a resumable checkpoint to <paramref name="directory"/> (replacing an older one atomically).</summary>
    public void SaveCheckpoint(string directory) =>
        TrainerCheckpoint.Save(directory, Algorithm, Optimizer, Random, (tmp, state) =>
        {
            state["iteration"] = Iteration;
            state["prompt_cursor"] = promptStream.Cursor;
            SaveState(tmp, state);
        });

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/>; training then continues exactly as if never stopped.</summary>
    public void LoadCheckpoint(string directory)
    {
        var state = TrainerCheckpoint.Load(directory, Algorithm, Optimizer, Random);
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
