// What a kill during a checkpoint write leaves behind: stale temporary folders are removed, and a lone "checkpoint.old" is taken back.
using Rebel.Training.Checkpointing;

namespace Rebel.Training.Tests;

public sealed class CheckpointRecoveryTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("rebel-ckpt-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void A_write_removes_temporary_folders_of_dead_writers_and_keeps_those_of_live_ones()
    {
        string checkpoint = Path.Combine(dir, "checkpoint");
        string dead = Path.Combine(dir, $".checkpoint.tmp-{int.MaxValue - 7}-{Guid.NewGuid():N}");
        string live = Path.Combine(dir, $".checkpoint.tmp-1-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dead);
        File.WriteAllText(Path.Combine(dead, "policy.safetensors"), "partial");
        Directory.CreateDirectory(live);
        CheckpointDirectory.Write(checkpoint, tmp => File.WriteAllText(Path.Combine(tmp, TrainerState.FileName), "{}"));
        Assert.False(Directory.Exists(dead));
        Assert.True(Directory.Exists(live));
        Assert.True(File.Exists(Path.Combine(checkpoint, TrainerState.FileName)));
        Assert.Equal([live, checkpoint], Directory.GetDirectories(dir).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_lone_complete_old_checkpoint_is_taken_back_on_resume()
    {
        string checkpoint = Path.Combine(dir, "checkpoint");
        CheckpointDirectory.Write(checkpoint, tmp => File.WriteAllText(Path.Combine(tmp, TrainerState.FileName), "{\"iteration\": 3}"));
        Directory.Move(checkpoint, checkpoint + ".old"); // a kill between the two renames of the next write
        Assert.True(CheckpointDirectory.Recover(checkpoint, TrainerState.FileName));
        Assert.Equal("{\"iteration\": 3}", File.ReadAllText(Path.Combine(checkpoint, TrainerState.FileName)));
        Assert.False(Directory.Exists(checkpoint + ".old"));
        Assert.False(CheckpointDirectory.Recover(checkpoint, TrainerState.FileName));
    }

    [Fact]
    public void An_incomplete_old_checkpoint_is_not_taken_back()
    {
        string checkpoint = Path.Combine(dir, "checkpoint");
        Directory.CreateDirectory(checkpoint + ".old");
        Assert.False(CheckpointDirectory.Recover(checkpoint, TrainerState.FileName));
        Assert.False(Directory.Exists(checkpoint));
    }
}
