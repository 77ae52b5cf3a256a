// The one loop of every on-policy trainer (REBEL and the baselines on language models, REBEL and DDPO on images): draw prompts,
// collect rollouts from π_t, let the method update the policy in epochs of shuffled minibatches, log metrics, checkpoint.
// An algorithm supplies only its rollouts (Collect) and its update (Update); its loss lives in Losses/.
using System.Diagnostics;
using Rebel.Tensors;
using Rebel.Tensors.Distributed;
using Rebel.Tensors.Optim;
using Rebel.Training.Data;
using Rebel.Training.Reporting;

namespace Rebel.Training;

/// <summary>Prompt stream, random source, optimizer, schedule, metrics log, the iteration loop and checkpoints of a policy trainer.</summary>
public abstract partial class PolicyTrainer<TRollout>
{
    private readonly PolicyOptions options;
    private readonly PromptStream promptStream;
    private readonly LrSchedule schedule;

    /// <summary>The algorithm's name, written into checkpoints and checked on resume (e.g. "rebel", "ppo").</summary>
    public string Algorithm { get; }

    /// <summary>The policy's optimizer (AdamW with the options' ε and weight decay).</summary>
    protected AdamW Optimizer { get; }

    /// <summary>Random source for sampling and minibatch order (saved in checkpoints).</summary>
    protected Rng Random { get; }

    /// <summary>Iterations completed.</summary>
    public int Iteration { get; private set; }

    /// <summary>Metrics of every iteration so far.</summary>
    public MetricsLog Metrics { get; private set; }

    /// <summary>Folder receiving hyperparameters.json, metrics.jsonl and checkpoints, or null for none.</summary>
    public string? OutputDirectory { get; }

    /// <summary>Called after every iteration (progress displays).</summary>
    public Action<IterationResult<TRollout>>? IterationCompleted { get; set; }

    /// <summary>Reward queries made so far (one per scored sample).</summary>
    protected abstract long RewardQueries { get; }

    private string? MetricsPath => OutputDirectory is null ? null : Path.Combine(OutputDirectory, "metrics.jsonl");

    /// <summary>
    /// Sets up the loop over <paramref name="prompts"/> and an optimizer over <paramref name="parameters"/>; <paramref name="stepsPerEpoch"/>
    /// (optimizer steps of one epoch over an iteration's batch) sizes the learning-rate schedule. Validates <paramref name="options"/> first.
    /// </summary>
    protected PolicyTrainer(string algorithm, PolicyOptions options, IEnumerable<Tensor> parameters, IReadOnlyList<PromptRecord> prompts, int stepsPerEpoch,
        string? outputDirectory)
    {
        options.Validate();
        if (prompts.Count == 0) throw new ArgumentException($"{algorithm}: no prompts.");
        Algorithm = algorithm;
        this.options = options;
        Optimizer = new AdamW(parameters, options.LearningRate, epsilon: options.AdamEpsilon, weightDecay: options.WeightDecay);
        schedule = new LrSchedule(options.Schedule, options.LearningRate, options.Iterations * options.Epochs * stepsPerEpoch, options.WarmupSteps);
        Random = new Rng(options.Seed);
        promptStream = new PromptStream(prompts, options.Seed);
        OutputDirectory = outputDirectory;
        if (outputDirectory is not null)
        {
            Directory.CreateDirectory(outputDirectory);
            Hyperparameters.Write(outputDirectory, algorithm, options);
        }
        Metrics = MetricsLog.Create(MetricsPath);
    }

    /// <summary>Runs the remaining iterations, checkpointing every <see cref="PolicyOptions.CheckpointEvery"/> iterations and after the last.</summary>
    public void Train(CancellationToken cancel = default)
    {
        while (Iteration < options.Iterations)
        {
            cancel.ThrowIfCancellationRequested();
            RunIteration();
            if (OutputDirectory is not null && (Iteration == options.Iterations || options.CheckpointEvery > 0 && Iteration % options.CheckpointEvery == 0))
                SaveCheckpoint(Path.Combine(OutputDirectory, "checkpoint"));
        }
    }

    /// <summary>One iteration: rollouts, the method's update, metrics.</summary>
    public IterationResult<TRollout> RunIteration()
    {
        var clock = Stopwatch.StartNew();
        double allReduceBefore = Optimizer.AllReduceSeconds;
        var rollouts = CollectFromIterationStart();
        Iteration++;
        var metrics = RolloutMetrics(rollouts);
        Update(rollouts, metrics);
        double seconds = clock.Elapsed.TotalSeconds;
        metrics["lr"] = Optimizer.LearningRate;
        metrics["reward_queries"] = RewardQueries;
        metrics["optimizer_steps"] = Optimizer.StepCount;
        AddThroughput(metrics, rollouts, seconds);
        metrics["time/seconds_per_iteration"] = seconds;
        metrics["time/allreduce_s"] = Optimizer.AllReduceSeconds - allReduceBefore;
        Metrics.Append(metrics);
        var result = new IterationResult<TRollout>(Iteration, metrics, Samples(rollouts));
        IterationCompleted?.Invoke(result);
        return result;
    }

    // Collect; on an interrupt (OperationCanceledException: Ctrl-C during a reward program's wait) the random source, the prompt cursor
    // and the trainer's counters go back to the start of the iteration, so the interrupt checkpoint resumes as the uninterrupted run
    // would continue. Collect leaves the weights alone.
    private List<TRollout> CollectFromIterationStart()
    {
        var random = Random.GetState();
        long cursor = promptStream.Cursor;
        var undo = CollectionUndo();
        try
        {
            return Collect(promptStream.Next(options.PromptsPerIteration));
        }
        catch (OperationCanceledException)
        {
            Random.SetState(random);
            promptStream.Cursor = cursor;
            undo();
            throw;
        }
    }

    /// <summary>
    /// Captures what <see cref="Collect(List{PromptRecord})"/> changes besides the random source and the prompt cursor (counters) before it
    /// runs; the returned action puts it back when the collection is interrupted. Default: nothing to put back.
    /// </summary>
    protected virtual Action CollectionUndo() => () => { };

    /// <summary>Samples from π_t for this iteration's prompts (the whole job's batch; a data-parallel process takes its share) and scores them.</summary>
    protected abstract List<TRollout> Collect(List<PromptRecord> prompts);

    /// <summary>The iteration's metrics row so far: iteration and what the rollouts say (scores, KL, …).</summary>
    protected abstract Dictionary<string, double> RolloutMetrics(List<TRollout> rollouts);

    /// <summary>The method's policy update on this iteration's rollouts (grouped by prompt, in order); adds its own metrics.</summary>
    protected abstract void Update(List<TRollout> rollouts, Dictionary<string, double> metrics);

    /// <summary>Adds the iteration's speed (tokens or images per second) and other metrics known only once it is over.</summary>
    protected abstract void AddThroughput(Dictionary<string, double> metrics, List<TRollout> rollouts, double seconds);

    /// <summary>The rollouts an <see cref="IterationResult{TRollout}"/> carries. Default all.</summary>
    protected virtual IReadOnlyList<TRollout> Samples(List<TRollout> rollouts) => rollouts;

    /// <summary>Optimizer steps of one epoch over <paramref name="items"/> items in minibatches of <paramref name="size"/>.</summary>
    protected static int StepsPerEpoch(int items, int size) => (items + size - 1) / size;

    /// <summary>The learning rate the next optimizer step will use.</summary>
    protected float ScheduledLearningRate => schedule.At(Optimizer.StepCount);

    /// <summary>
    /// <see cref="PolicyOptions.Epochs"/> epochs over <paramref name="count"/> items in minibatches of <paramref name="size"/> (global; split over
    /// a data-parallel job's processes) in a shuffled order drawn from <see cref="Random"/>: <paramref name="backward"/> (epoch, item indices)
    /// builds the minibatch's loss and calls Backward inside a <see cref="TensorScope"/>, then the policy takes one clipped optimizer step.
    /// Returns the last step's gradient norm before clipping.
    /// </summary>
    protected double TrainEpochs(int count, int size, Action<int, int[]> backward)
    {
        double gradNorm = 0;
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            foreach (var minibatch in ShuffledMiniBatches(count, size, Random))
            {
                using (new TensorScope()) backward(epoch, minibatch);
                Optimizer.LearningRate = ScheduledLearningRate;
                gradNorm = Optimizer.ClipAndStep(options.MaxGradNorm);
            }
        }
        return gradNorm;
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
        var index = rng.Permutation(count * ranks).Where(i => i >= first && i < first + count).Select(i => i - first).ToArray();
        for (int start = 0; start < count; start += size)
            yield return index[start..Math.Min(start + size, count)];
    }
}
