// The loop shared by the image RL trainers (REBEL, DDPO): draw captions, sample trajectories from π_t with the stochastic
// DDIM sampler, score the images, standardise rewards per prompt, let the method update the policy, log metrics, checkpoint.
// The methods differ only in their Update step (one file each).
using System.Diagnostics;
using System.Text.Json.Nodes;
using Rebel.Models.Diffusion;
using Rebel.Tensors;
using Rebel.Tensors.Distributed;
using Rebel.Tensors.Optim;
using Rebel.Training.Checkpointing;
using Rebel.Training.Data;
using Rebel.Training.Reporting;

namespace Rebel.Training.Images;

/// <summary>One sampled image: its prompt, the prompt's group in the batch, the trajectory, the reward and its standardised value.</summary>
public sealed record ImageRollout(string Prompt, int Group, DdimTrajectory Trajectory, float Score, float Advantage);

/// <summary>What one iteration produced: the metrics row and the iteration's rollouts.</summary>
public sealed record ImageIterationResult(int Iteration, IReadOnlyDictionary<string, double> Metrics, IReadOnlyList<ImageRollout> Rollouts);

/// <summary>Base of the image RL trainers: sampling, rewards, optimizer, schedule, metrics and checkpoints; subclasses supply the update.</summary>
public abstract class ImagePolicyTrainer
{
    private readonly ImageRlOptions options;
    private readonly PromptStream promptStream;
    private readonly IImageReward reward;
    private readonly PromptStatTracker stats;
    private readonly LrSchedule schedule;
    private readonly string algorithm;
    private long rewardQueries;

    /// <summary>The diffusion model being trained.</summary>
    public DitModel Policy { get; }

    /// <summary>The policy's sampler (also replays trajectories with gradients).</summary>
    protected DdimSampler Sampler { get; }

    /// <summary>The policy's optimizer.</summary>
    protected AdamW Optimizer { get; }

    /// <summary>Random source for sampling and minibatch order.</summary>
    protected Rng Random { get; }

    /// <summary>Iterations completed.</summary>
    public int Iteration { get; private set; }

    /// <summary>Metrics of every iteration so far.</summary>
    public MetricsLog Metrics { get; private set; }

    /// <summary>Folder receiving metrics.jsonl and checkpoints, or null for none.</summary>
    public string? OutputDirectory { get; }

    /// <summary>A KL penalty towards a frozen reference sampler, subtracted from every reward before standardisation; null for none.</summary>
    public TransitionKl? KlPenalty { get; set; }

    private double lastKl;

    /// <summary>Called after every iteration (progress displays).</summary>
    public Action<ImageIterationResult>? IterationCompleted { get; set; }

    private string? MetricsPath => OutputDirectory is null ? null : Path.Combine(OutputDirectory, "metrics.jsonl");

    /// <summary>Sets up the loop on captions <paramref name="prompts"/>; <paramref name="samplesPerIteration"/> is what one epoch iterates over (images or pairs).</summary>
    protected ImagePolicyTrainer(string algorithm, DitModel policy, IReadOnlyList<string> prompts, IImageReward reward, ImageRlOptions options,
        int samplesPerIteration, string? outputDirectory)
    {
        options.Validate();
        if (prompts.Count == 0) throw new ArgumentException($"{algorithm}: no prompts.");
        this.algorithm = algorithm;
        this.options = options;
        this.reward = reward;
        Policy = policy;
        Sampler = new DdimSampler(policy, options.Sampler);
        Optimizer = new AdamW(policy.Parameters, options.LearningRate, epsilon: options.AdamEpsilon, weightDecay: options.WeightDecay);
        int stepsPerEpoch = (samplesPerIteration + options.MiniBatchSize - 1) / options.MiniBatchSize;
        schedule = new LrSchedule(options.Schedule, options.LearningRate, options.Iterations * options.Epochs * stepsPerEpoch, 0);
        Random = new Rng(options.Seed);
        stats = new PromptStatTracker(options.StatBufferSize, options.StatMinCount);
        promptStream = new PromptStream([.. prompts.Select((p, i) => new PromptRecord(p, [], $"prompt:{i + 1}"))], options.Seed);
        OutputDirectory = outputDirectory;
        if (outputDirectory is not null) Directory.CreateDirectory(outputDirectory);
        Metrics = MetricsLog.Create(MetricsPath);
    }

    /// <summary>Runs the remaining iterations, checkpointing as configured and at the end.</summary>
    public void Train(CancellationToken cancel = default) =>
        PolicyUpdate.RunIterations(options.Iterations, options.CheckpointEvery, OutputDirectory, () => Iteration, () => RunIteration(), SaveCheckpoint, cancel);

    /// <summary>One iteration: trajectories, rewards, the method's update, metrics.</summary>
    public ImageIterationResult RunIteration()
    {
        var clock = Stopwatch.StartNew();
        double allReduceBefore = Optimizer.AllReduceSeconds;
        var rollouts = Collect();
        Iteration++;
        var scores = rollouts.Select(r => (double)r.Score).ToList();
        var metrics = new Dictionary<string, double>
        {
            ["iteration"] = Iteration,
            ["objective/scores"] = scores.Average(),
            ["objective/scores_std"] = RolloutMetrics.Std(scores),
        };
        if (KlPenalty is not null) metrics["objective/kl"] = lastKl;
        Update(rollouts, metrics);
        double seconds = clock.Elapsed.TotalSeconds;
        metrics["lr"] = Optimizer.LearningRate;
        metrics["reward_queries"] = rewardQueries;
        metrics["time/images_per_s"] = rollouts.Count / Math.Max(seconds, 1e-9);
        metrics["time/seconds_per_iteration"] = seconds;
        metrics["time/allreduce_s"] = Optimizer.AllReduceSeconds - allReduceBefore;
        Metrics.Append(metrics);
        var result = new ImageIterationResult(Iteration, metrics, rollouts);
        IterationCompleted?.Invoke(result);
        return result;
    }

    private List<ImageRollout> Collect()
    {
        var batch = promptStream.Next(options.PromptsPerIteration);
        int n = options.SamplesPerPrompt;
        var prompts = batch.SelectMany(p => Enumerable.Repeat(p.Prompt, n)).ToList();
        var rowRngs = prompts.Select(_ => Random.Split()).ToList();
        // This process samples and scores its share of the prompts; the per-prompt trackers see every process's scores.
        var job = Collectives.World;
        var (mine, firstPrompt) = job.Share(batch, $"{algorithm}: prompts per iteration");
        int first = firstPrompt * n, count = mine.Count * n;
        var local = prompts.GetRange(first, count);
        var trajectories = Sampler.Sample(ImageConditions.OfCaptions(local), rowRngs.GetRange(first, count));
        var scores = reward.Score([.. trajectories.Select(t => t.Image)], local, Policy.Config.ImageSize);
        rewardQueries += scores.Length;
        var shaped = scores;
        if (KlPenalty is not null) (shaped, lastKl) = KlPenalty.Shape(Sampler, trajectories, scores);
        var all = new double[prompts.Count];
        for (int i = 0; i < count; i++) all[first + i] = shaped[i];
        job.AllReduceSum(all);
        var advantages = stats.Standardize(prompts, [.. all.Select(x => (float)x)]);
        return [.. local.Select((p, i) => new ImageRollout(p, i / n, trajectories[i], scores[i], advantages[first + i]))];
    }

    /// <summary>The method's policy update on this iteration's rollouts (grouped by prompt, in order); adds its own metrics.</summary>
    protected abstract void Update(List<ImageRollout> rollouts, Dictionary<string, double> metrics);

    /// <summary>Index minibatches of one epoch over <paramref name="count"/> items, shuffled with <see cref="Random"/>.</summary>
    protected IEnumerable<int[]> MiniBatches(int count) => PolicyUpdate.ShuffledMiniBatches(count, options.MiniBatchSize, Random);

    /// <summary>Clips the policy's gradient, sets the scheduled learning rate, steps and zeroes; returns the gradient norm before clipping.</summary>
    protected double StepPolicy() => PolicyUpdate.ClipAndStep(Optimizer, schedule, options.MaxGradNorm);

    /// <summary>Writes a resumable checkpoint: the policy (also as a model folder, policy/), optimizer moments, per-prompt statistics and state.</summary>
    public void SaveCheckpoint(string directory)
    {
        CheckpointDirectory.Write(directory, tmp =>
        {
            WeightFile.SaveParameters(Policy.NamedParameters, Path.Combine(tmp, "policy.safetensors"));
            DitFolder.Save(Policy, Path.Combine(tmp, "policy"));
            WeightFile.SaveBuffers(Optimizer.StateBuffers(), Path.Combine(tmp, "optimizer.safetensors"));
            TrainerState.Write(tmp, new JsonObject
            {
                ["algorithm"] = algorithm,
                ["iteration"] = Iteration,
                ["prompt_cursor"] = promptStream.Cursor,
                ["optimizer_steps"] = Optimizer.StepCount,
                ["reward_queries"] = rewardQueries,
                ["prompt_stats"] = stats.ToJson(),
            }, Random);
        });
    }

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/>; training then continues as if never stopped.</summary>
    public void LoadCheckpoint(string directory)
    {
        var state = TrainerState.Read(directory, Random);
        if (state["algorithm"]?.GetValue<string>() != algorithm)
            throw new InvalidDataException($"Resume: '{directory}' is a {state["algorithm"]} checkpoint, not {algorithm}.");
        WeightFile.LoadParameters(Policy.NamedParameters, Path.Combine(directory, "policy.safetensors"));
        WeightFile.LoadBuffers(Optimizer.StateBuffers(), Path.Combine(directory, "optimizer.safetensors"));
        Optimizer.RestoreStepCount(state["optimizer_steps"]!.GetValue<long>());
        Iteration = state["iteration"]!.GetValue<int>();
        promptStream.Cursor = state["prompt_cursor"]!.GetValue<long>();
        rewardQueries = state["reward_queries"]!.GetValue<long>();
        stats.Restore(state["prompt_stats"]!.AsObject());
        Metrics = MetricsLog.Resume(MetricsPath, keepUpToIteration: Iteration);
    }
}
