// The loop shared by the online baselines (PPO, RLOO, REINFORCE, GRPO, online DPO): draw prompts, collect rollouts from π_t,
// let the method update the policy, log metrics, checkpoint. The methods differ only in their Update step (one file each).
using System.Diagnostics;
using System.Text.Json.Nodes;
using Rebel.Models;
using Rebel.Models.Sampling;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Tensors.Distributed;
using Rebel.Tensors.Optim;
using Rebel.Training.Checkpointing;
using Rebel.Training.Data;
using Rebel.Training.Reporting;
using Rebel.Training.Rewards;
using Rebel.Training.Rollouts;

namespace Rebel.Training;

/// <summary>Base of the online baselines: rollouts, optimizer, schedule, metrics and checkpoints; subclasses supply the update.</summary>
public abstract class OnlineTrainer : IPolicyTrainer
{
    private readonly OnlineOptions options;
    private readonly PromptStream promptStream;
    private readonly LrSchedule schedule;
    private readonly ITokenizer tokenizer;
    private readonly string algorithm;

    /// <summary>The policy being trained and the frozen reference (a copy of the policy as given; with LoRA, the policy with adapters off).</summary>
    protected LanguageModel PolicyModel { get; }

    /// <summary>π_ref.</summary>
    protected LanguageModel Reference { get; }

    /// <summary>Samples and scores completions.</summary>
    protected RolloutCollector Collector { get; }

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

    /// <summary>The policy being trained.</summary>
    public LanguageModel Policy => PolicyModel;

    /// <summary>The shared settings in force (the subclass's options record).</summary>
    public OnlineOptions Settings => options;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, IReward> EvaluationRewards { get; set; } = new Dictionary<string, IReward>();

    /// <summary>Called after every iteration (progress displays).</summary>
    public Action<IterationResult>? IterationCompleted { get; set; }

    /// <summary>Writes the policy as a Hugging Face folder at the given path inside each checkpoint.</summary>
    public Action<string>? ExportPolicy { get; set; }

    private string? MetricsPath => OutputDirectory is null ? null : Path.Combine(OutputDirectory, "metrics.jsonl");

    /// <summary>Sets up the loop; <paramref name="samplesPerIteration"/> is what one epoch iterates over (completions or pairs); validates <paramref name="options"/> first.</summary>
    protected OnlineTrainer(string algorithm, LanguageModel policy, ITokenizer tokenizer, IReadOnlyList<PromptRecord> prompts, IReward reward,
        OnlineOptions options, int samplesPerIteration, string? outputDirectory)
    {
        options.Validate();
        if (prompts.Count == 0) throw new ArgumentException($"{algorithm}: no prompts.");
        this.algorithm = algorithm;
        this.options = options;
        this.tokenizer = tokenizer;
        PolicyModel = policy;
        Reference = policy.ReferenceModel();
        Collector = new RolloutCollector(policy, Reference, tokenizer, reward);
        Optimizer = new AdamW(policy.Parameters, options.LearningRate, epsilon: options.AdamEpsilon, weightDecay: 0f);
        int stepsPerEpoch = (samplesPerIteration + options.MiniBatchSize - 1) / options.MiniBatchSize;
        schedule = new LrSchedule(options.Schedule, options.LearningRate, options.Iterations * options.Epochs * stepsPerEpoch, 0);
        Random = new Rng(options.Seed);
        promptStream = new PromptStream(prompts, options.Seed);
        OutputDirectory = outputDirectory;
        if (outputDirectory is not null) Directory.CreateDirectory(outputDirectory);
        Metrics = MetricsLog.Create(MetricsPath);
    }

    /// <summary>Runs the remaining iterations, checkpointing as configured and at the end.</summary>
    public void Train(CancellationToken cancel = default) =>
        PolicyUpdate.RunIterations(options.Iterations, options.CheckpointEvery, OutputDirectory, () => Iteration, () => RunIteration(), SaveCheckpoint, cancel);

    /// <summary>One iteration: rollouts, the method's update, metrics.</summary>
    public IterationResult RunIteration()
    {
        var clock = Stopwatch.StartNew();
        var (batch, first) = Collectives.World.Share(promptStream.Next(options.PromptsPerIteration), $"{algorithm}: prompts per iteration");
        var eos = PolicyModel.Config.EosTokenIds.Length > 0 ? PolicyModel.Config.EosTokenIds
            : tokenizer.EosTokenId is { } e ? [e] : throw new InvalidOperationException($"{algorithm}: neither the model nor the tokenizer names an EOS token.");
        var settings = new RolloutSettings(options.CompletionsPerPrompt,
            new SamplingOptions { MaxNewTokens = options.MaxNewTokens, Temperature = options.Temperature, EosTokenIds = eos },
            options.RewardKlCoefficient, options.NoEosScore);
        long tokensBefore = Collector.SampledTokens;
        double allReduceBefore = Optimizer.AllReduceSeconds;
        var rollouts = Collector.Collect(batch, settings, Random, first);
        Iteration++;
        var metrics = RolloutMetrics.Common(Iteration, rollouts);
        Update(rollouts, metrics);
        RolloutMetrics.AddLengths(metrics, rollouts);
        double seconds = clock.Elapsed.TotalSeconds;
        metrics["lr"] = Optimizer.LearningRate;
        metrics["reward_queries"] = Collector.RewardQueries;
        metrics["time/tokens_per_s"] = (Collector.SampledTokens - tokensBefore) / Math.Max(seconds, 1e-9);
        metrics["time/seconds_per_iteration"] = seconds;
        metrics["time/allreduce_s"] = Optimizer.AllReduceSeconds - allReduceBefore;
        RolloutMetrics.AddEvaluations(metrics, rollouts, EvaluationRewards);
        Metrics.Append(metrics);
        var result = new IterationResult(Iteration, metrics, rollouts.Take(8).ToList());
        IterationCompleted?.Invoke(result);
        return result;
    }

    /// <summary>The method's policy update on this iteration's rollouts (grouped by prompt, in order); adds its own metrics.</summary>
    protected abstract void Update(List<Rollout> rollouts, Dictionary<string, double> metrics);

    /// <summary>Index minibatches of one epoch over <paramref name="count"/> items, shuffled with <see cref="Random"/>.</summary>
    protected IEnumerable<int[]> MiniBatches(int count) => PolicyUpdate.ShuffledMiniBatches(count, options.MiniBatchSize, Random);

    /// <summary>Clips the policy's gradient, sets the scheduled learning rate, steps and zeroes; returns the gradient norm before clipping.</summary>
    protected double StepPolicy() => PolicyUpdate.ClipAndStep(Optimizer, schedule, options.MaxGradNorm);

    /// <summary>Writes a resumable checkpoint (policy, reference, optimizer, state and the method's extras).</summary>
    public void SaveCheckpoint(string directory)
    {
        CheckpointDirectory.Write(directory, tmp =>
        {
            WeightFile.SaveModel(PolicyModel, Path.Combine(tmp, "policy.safetensors"));
            ExportPolicy?.Invoke(Path.Combine(tmp, "policy"));
            WeightFile.SaveModel(Reference, Path.Combine(tmp, "reference.safetensors"));
            WeightFile.SaveBuffers(Optimizer.StateBuffers(), Path.Combine(tmp, "optimizer.safetensors"));
            var state = new JsonObject
            {
                ["algorithm"] = algorithm,
                ["iteration"] = Iteration,
                ["prompt_cursor"] = promptStream.Cursor,
                ["optimizer_steps"] = Optimizer.StepCount,
                ["reward_queries"] = Collector.RewardQueries,
                ["sampled_tokens"] = Collector.SampledTokens,
            };
            SaveExtra(tmp, state);
            TrainerState.Write(tmp, state, Random);
        });
    }

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/>; training then continues as if never stopped.</summary>
    public void LoadCheckpoint(string directory)
    {
        var state = TrainerState.Read(directory, Random);
        if (state["algorithm"]?.GetValue<string>() != algorithm)
            throw new InvalidDataException($"Resume: '{directory}' is a {state["algorithm"]} checkpoint, not {algorithm}.");
        WeightFile.LoadModel(PolicyModel, Path.Combine(directory, "policy.safetensors"));
        WeightFile.LoadModel(Reference, Path.Combine(directory, "reference.safetensors"));
        WeightFile.LoadBuffers(Optimizer.StateBuffers(), Path.Combine(directory, "optimizer.safetensors"));
        Optimizer.RestoreStepCount(state["optimizer_steps"]!.GetValue<long>());
        Iteration = state["iteration"]!.GetValue<int>();
        promptStream.Cursor = state["prompt_cursor"]!.GetValue<long>();
        Collector.Restore(state["reward_queries"]!.GetValue<long>(), state["sampled_tokens"]!.GetValue<long>());
        LoadExtra(directory, state);
        Metrics = MetricsLog.Resume(MetricsPath, keepUpToIteration: Iteration);
    }

    /// <summary>Saves method-specific state (critic, baseline) into the checkpoint folder and state object.</summary>
    protected virtual void SaveExtra(string directory, JsonObject state) { }

    /// <summary>Restores what <see cref="SaveExtra"/> wrote.</summary>
    protected virtual void LoadExtra(string directory, JsonObject state) { }
}
