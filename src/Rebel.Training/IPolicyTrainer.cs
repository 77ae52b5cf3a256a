// What a command-line front end needs from any online policy trainer (REBEL or a baseline): run, observe, checkpoint.
using Rebel.Training.Reporting;
using Rebel.Training.Rewards;

namespace Rebel.Training;

/// <summary>An online policy trainer as the CLI drives it.</summary>
public interface IPolicyTrainer
{
    /// <summary>Iterations completed.</summary>
    int Iteration { get; }

    /// <summary>Metrics of every iteration so far.</summary>
    MetricsLog Metrics { get; }

    /// <summary>Called after every iteration.</summary>
    Action<IterationResult>? IterationCompleted { get; set; }

    /// <summary>Writes the policy as a Hugging Face folder at the given path inside each checkpoint.</summary>
    Action<string>? ExportPolicy { get; set; }

    /// <summary>
    /// Rewards scored on every iteration's rollouts for monitoring only, logged as objective/{name}_scores: they are not reward
    /// queries and do not affect training (e.g. the hidden gold scorer when training against a learned reward model). Default none.
    /// </summary>
    IReadOnlyDictionary<string, IReward> EvaluationRewards { get; set; }

    /// <summary>Runs the remaining iterations.</summary>
    void Train(CancellationToken cancel = default);

    /// <summary>Writes a resumable checkpoint.</summary>
    void SaveCheckpoint(string directory);

    /// <summary>Restores a checkpoint.</summary>
    void LoadCheckpoint(string directory);
}
