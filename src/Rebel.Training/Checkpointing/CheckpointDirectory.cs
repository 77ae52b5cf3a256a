// Atomic replacement of a checkpoint folder: fill a temporary sibling, then swap it in with renames (rank 0 of a job alone writes).
// A process killed mid-write leaves a temporary sibling (removed by the next write or resume) or, between the two renames, only
// "<folder>.old" (which a resume takes back as the checkpoint).
using System.Diagnostics;
using Rebel.Tensors.Distributed;

namespace Rebel.Training.Checkpointing;

/// <summary>Writes folders so readers see either the old or the new complete contents.</summary>
public static class CheckpointDirectory
{
    /// <summary>
    /// Calls <paramref name="fill"/> with a temporary folder, then renames it to <paramref name="directory"/>; does nothing on the
    /// other ranks of a data-parallel job (they hold the same parameters as rank 0). Temporary folders that killed writers left
    /// beside <paramref name="directory"/> are removed first.
    /// </summary>
    public static void Write(string directory, Action<string> fill)
    {
        if (!Collectives.IsRoot) return;
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        RemoveStaleTemporaries(full);
        var tmp = Path.Combine(parent, $"{TemporaryPrefix(full)}{Environment.ProcessId}-{Guid.NewGuid():N}");
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

    /// <summary>
    /// Makes <paramref name="directory"/> a complete checkpoint before a resume reads it: when a kill between the two renames of
    /// <see cref="Write"/> left only "<paramref name="directory"/>.old" (complete: it holds <paramref name="completeMarker"/>),
    /// that folder is renamed back. Stale temporary folders are removed. Returns true when the fallback was taken.
    /// </summary>
    public static bool Recover(string directory, string completeMarker)
    {
        var full = Path.GetFullPath(directory);
        if (Collectives.IsRoot && Directory.Exists(Path.GetDirectoryName(full))) RemoveStaleTemporaries(full);
        var old = full + ".old";
        if (File.Exists(Path.Combine(full, completeMarker)) || !File.Exists(Path.Combine(old, completeMarker))) return false;
        if (Collectives.IsRoot)
        {
            if (Directory.Exists(full)) Directory.Delete(full, recursive: true);
            Directory.Move(old, full);
        }
        return true;
    }

    private static string TemporaryPrefix(string full) => $".{Path.GetFileName(full)}.tmp-";

    // A temporary sibling is stale when the process whose id it carries is gone (or is this one: a write is never concurrent with itself).
    private static void RemoveStaleTemporaries(string full)
    {
        string prefix = TemporaryPrefix(full);
        foreach (var dir in Directory.EnumerateDirectories(Path.GetDirectoryName(full)!, prefix + "*"))
        {
            string rest = Path.GetFileName(dir)[prefix.Length..];
            int dash = rest.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && int.TryParse(rest[..dash], out int pid) && pid != Environment.ProcessId && IsRunning(pid)) continue;
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // Another process may be removing it too; the next write tries again.
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
