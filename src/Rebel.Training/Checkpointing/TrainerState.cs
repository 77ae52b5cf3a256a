// trainer_state.json: the scalar state of a run (iteration, data cursor, counters, RNG words) shared by every trainer's checkpoints.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rebel.Models.IO;
using Rebel.Tensors;

namespace Rebel.Training.Checkpointing;

/// <summary>Reads and writes trainer_state.json.</summary>
public static class TrainerState
{
    /// <summary>The file name inside a checkpoint folder.</summary>
    public const string FileName = "trainer_state.json";

    /// <summary>Writes <paramref name="state"/> plus the RNG words into <paramref name="directory"/>.</summary>
    public static void Write(string directory, JsonObject state, Rng rng)
    {
        state["rng"] = new JsonArray([.. rng.GetState().Select(w => (JsonNode)JsonValue.Create(w.ToString(CultureInfo.InvariantCulture)))]);
        AtomicFile.WriteText(Path.Combine(directory, FileName), state.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Reads the state from <paramref name="directory"/> and restores <paramref name="rng"/>.</summary>
    public static JsonObject Read(string directory, Rng rng)
    {
        CheckpointDirectory.Recover(directory, FileName);
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"Resume: '{directory}' has no {FileName}; is it a checkpoint folder?", path);
        var state = JsonFiles.ReadObject(path, "Trainer state");
        var words = new HfConfig(state, path).GetStringArray("rng");
        rng.SetState([.. words.Select(w => ulong.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out ulong u) ? u : throw new InvalidDataException($"{path}: rng word \"{w}\" is not an unsigned integer."))]);
        return state;
    }
}
