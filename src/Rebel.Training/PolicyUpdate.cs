// The mechanical pieces of every on-policy trainer (REBEL, the language baselines and the image trainers alike): the outer
// loop of iterations with its checkpoints, the shuffled minibatch order of one epoch, and one optimizer step with gradient
// clipping and the scheduled learning rate (averaged over the processes of a data-parallel job first).
using Rebel.Tensors;
using Rebel.Tensors.Distributed;
using Rebel.Tensors.Optim;

namespace Rebel.Training;

/// <summary>Minibatch order and optimizer stepping shared by the policy trainers.</summary>
public static class PolicyUpdate
{
    /// <summary>
    /// Runs iterations until <paramref name="iteration"/> reaches <paramref name="iterations"/>, writing
    /// <paramref name="outputDirectory"/>/checkpoint every <paramref name="checkpointEvery"/> iterations (0: never) and after the last.
    /// </summary>
    public static void RunIterations(int iterations, int checkpointEvery, string? outputDirectory, Func<int> iteration, Action runIteration,
        Action<string> saveCheckpoint, CancellationToken cancel)
    {
        while (iteration() < iterations)
        {
            cancel.ThrowIfCancellationRequested();
            runIteration();
            int done = iteration();
            if (outputDirectory is not null && (done == iterations || checkpointEvery > 0 && done % checkpointEvery == 0))
                saveCheckpoint(Path.Combine(outputDirectory, "checkpoint"));
        }
    }

    /// <summary>
    /// Index minibatches over this process's <paramref name="count"/> items in a Fisher–Yates order drawn from <paramref name="rng"/>:
    /// <paramref name="size"/> is the global minibatch, so each of the job's N processes takes size / N of its own items per step.
    /// The order is drawn over the global batch (rank r holding items r·count … (r+1)·count − 1), so every process draws what one
    /// process would, its random state stays equal to theirs, and a minibatch that spans the whole batch is the one process's minibatch.
    /// </summary>
    public static IEnumerable<int[]> ShuffledMiniBatches(int count, int size, Rng rng)
    {
        var job = Collectives.World;
        int ranks = job.Size;
        size = size >= count * ranks ? Math.Max(count, 1) : size % ranks == 0 ? size / ranks
            : throw new ArgumentException($"Minibatch of {size} does not split evenly over {ranks} processes; choose a multiple of {ranks}.");
        int first = job.Rank * count;
        var index = Permutation(count * ranks, rng).Where(i => i >= first && i < first + count).Select(i => i - first).ToArray();
        for (int start = 0; start < count; start += size)
            yield return index[start..Math.Min(start + size, count)];
    }

    /// <summary>0 … <paramref name="count"/> − 1 in a Fisher–Yates order drawn from <paramref name="rng"/>.</summary>
    public static int[] Permutation(int count, Rng rng)
    {
        var index = Enumerable.Range(0, count).ToArray();
        for (int i = index.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (index[i], index[j]) = (index[j], index[i]);
        }
        return index;
    }

    /// <summary>
    /// Sets the scheduled learning rate, then averages the gradient over the job's processes, clips it to <paramref name="maxGradNorm"/>,
    /// steps and zeroes (<see cref="Optimizer.ClipAndStep"/>); returns the norm before clipping.
    /// </summary>
    public static double ClipAndStep(Optimizer optimizer, LrSchedule schedule, float maxGradNorm)
    {
        optimizer.LearningRate = schedule.At(optimizer.StepCount);
        return optimizer.ClipAndStep(maxGradNorm);
    }
}
