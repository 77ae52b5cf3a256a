// What one policy iteration produced, as trainers hand it to progress displays and reports.
namespace Rebel.Training;

/// <summary>One iteration's metrics (TRL-style names) and some of its rollouts (a few samples for reports; images: all of them).</summary>
public sealed record IterationResult<TRollout>(int Iteration, IReadOnlyDictionary<string, double> Metrics, IReadOnlyList<TRollout> Samples);
