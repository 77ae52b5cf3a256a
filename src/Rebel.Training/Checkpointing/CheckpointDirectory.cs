// Atomic replacement of a checkpoint folder: fill a temporary sibling, then swap it in with renames (rank 0 of a job alone writes).
using Rebel.Tensors.Distributed;

namespace Rebel.Training.Checkpointing;

/// <summary>Writes folders so readers see either the old or the new complete contents.</summary>
public static class CheckpointDirectory
{
    /// <summary>
    /// Calls <paramref name="fill"/> with a temporary folder, then renames it to <paramref name="directory"/>; does nothing on the
    /// other ranks of a data-parallel job (they hold the same parameters as rank 0).
    /// </summary>
    public static void Write(string directory, Action<string> fill)
    {
        if (!Collectives.IsRoot) return;
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var tmp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            fill(tmp);
            var old = full + ".old";
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
            if (Directory.Exists(full)) Directory.Move(full, old);
            Directory.Move(tmp, full);
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        }
        catch
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            throw;
        }
    }
}
