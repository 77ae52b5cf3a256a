// The mechanical pieces of every on-policy trainer (REBEL, the language baselines and the image trainers alike): the outer
// loop of iterations with its checkpoints, the shuffled minibatch order of one epoch, and one optimizer step with gradient
// clipping and the scheduled learning rate.
using Rebel.Tensors;
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

    /// <summary>Index minibatches of <paramref name="size"/> over <paramref name="count"/> items in a Fisher–Yates order drawn from <paramref name="rng"/>.</summary>
    public static IEnumerable<int[]> ShuffledMiniBatches(int count, int size, Rng rng)
    {
        var index = Permutation(count, rng);
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

    /// <summary>Clips the gradient of the optimizer's parameters to <paramref name="maxGradNorm"/>, sets the scheduled learning rate, steps and zeroes; returns the norm before clipping.</summary>
    public static double ClipAndStep(Optimizer optimizer, LrSchedule schedule, float maxGradNorm)
    {
        double norm = Optimizer.ClipGradNorm(optimizer.Parameters, maxGradNorm);
        optimizer.LearningRate = schedule.At(optimizer.StepCount);
        optimizer.Step();
        optimizer.ZeroGrad();
        return norm;
    }
}
