// The image side of the policy loop (PolicyTrainer), shared by image REBEL and DDPO: sample trajectories from π_t with the
// stochastic DDIM sampler, score the images, standardise rewards per prompt; metrics and the weights in checkpoints.
// The methods differ only in their Update step (one file each).
using System.Text.Json.Nodes;
using Rebel.Models.Diffusion;
using Rebel.Tensors;
using Rebel.Tensors.Distributed;
using Rebel.Training.Checkpointing;
using Rebel.Training.Data;
using Rebel.Training.Images.Data;
using Rebel.Training.Images.Rewards;

namespace Rebel.Training.Images.Training;

/// <summary>One sampled image: its prompt, the prompt's group in the batch, the trajectory, the reward and its standardised value.</summary>
public sealed record ImageRollout(string Prompt, int Group, DdimTrajectory Trajectory, float Score, float Advantage)
{
    /// <summary>The reference sampler's means at the trajectory's K recorded states (K·D), kept for the KL loss term; null when it is off.</summary>
    public float[]? ReferenceMeans { get; init; }
}

/// <summary>Base of the image RL trainers: the sampler, rewards and their per-prompt statistics, metrics and checkpointed weights; subclasses supply the update.</summary>
public abstract class ImagePolicyTrainer : PolicyTrainer<ImageRollout>
{
    private readonly ImageRlOptions options;
    private readonly IImageReward reward;
    private readonly PromptStatTracker stats;
    private long rewardQueries;

    /// <summary>The diffusion model being trained.</summary>
    public IDenoiser Policy { get; }

    /// <summary>The policy's sampler (also replays trajectories with gradients).</summary>
    protected DdimSampler Sampler { get; }

    /// <inheritdoc/>
    protected override long RewardQueries => rewardQueries;

    /// <summary>
    /// A KL towards a frozen reference sampler: subtracted from every reward before standardisation (its <see cref="TransitionKl.Coefficient"/>)
    /// and added to the loss (its <see cref="TransitionKl.LossCoefficient"/>); null for none. Made from <see cref="ImageRlOptions.KlCoefficient"/>
    /// and <see cref="ImageRlOptions.KlLossCoefficient"/> when either is positive (the model as constructed is the reference).
    /// </summary>
    public TransitionKl? KlPenalty { get; set; }

    private double lastKl;

    /// <summary>Sets up the loop on captions <paramref name="prompts"/>; <paramref name="samplesPerIteration"/> is what one epoch iterates over (images or pairs).</summary>
    protected ImagePolicyTrainer(string algorithm, IDenoiser policy, IReadOnlyList<string> prompts, IImageReward reward, ImageRlOptions options,
        int samplesPerIteration, string? outputDirectory)
        : base(algorithm, options, Trainable(policy, options.TrainableParameters), [.. prompts.Select((p, i) => new PromptRecord(p, [], $"prompt:{i + 1}"))],
            StepsPerEpoch(samplesPerIteration, options.MiniBatchSize), outputDirectory)
    {
        this.options = options;
        this.reward = reward;
        Policy = policy;
        Sampler = new DdimSampler(policy, options.Sampler);
        stats = new PromptStatTracker(options.StatBufferSize, options.StatMinCount);
        if (options.KlCoefficient > 0 || options.KlLossCoefficient > 0)
            KlPenalty = new TransitionKl(policy, options.KlCoefficient) { LossCoefficient = options.KlLossCoefficient };
    }

    /// <summary>
    /// The parameters of <paramref name="policy"/> that <paramref name="pattern"/> (<see cref="ImageRlOptions.TrainableParameters"/>) chooses,
    /// all when it is null; throws ArgumentException naming the pattern when it is not a regular expression or matches none. Changes nothing.
    /// </summary>
    public static List<Tensor> TrainableParameters(IDenoiser policy, string? pattern)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (pattern is null) return [.. policy.Parameters];
        System.Text.RegularExpressions.Regex regex;
        try
        {
            regex = new System.Text.RegularExpressions.Regex(pattern);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"trainable parameters: '{pattern}' is not a regular expression: {e.Message}", e);
        }
        var chosen = policy.NamedParameters.Where(kv => regex.IsMatch(kv.Key)).Select(kv => kv.Value).ToList();
        if (chosen.Count == 0)
            throw new ArgumentException($"trainable parameters: '{pattern}' matches none of the denoiser's parameters ({string.Join(", ", policy.NamedParameters.Keys.Take(6))}, …).");
        return chosen;
    }

    // The chosen parameters (TrainableParameters), with every other parameter of the policy frozen.
    private static List<Tensor> Trainable(IDenoiser policy, string? pattern)
    {
        var chosen = TrainableParameters(policy, pattern);
        if (pattern is not null)
            foreach (var p in policy.Parameters) p.SetTrainable(chosen.Contains(p));
        return chosen;
    }

    /// <inheritdoc/>
    protected override Dictionary<string, double> RolloutMetrics(List<ImageRollout> rollouts)
    {
        var scores = rollouts.Select(r => (double)r.Score).ToList();
        var metrics = new Dictionary<string, double>
        {
            ["iteration"] = Iteration,
            ["objective/scores"] = scores.Average(),
            ["objective/scores_std"] = Reporting.RolloutMetrics.Std(scores),
        };
        if (KlPenalty is not null) metrics["objective/kl"] = lastKl;
        return metrics;
    }

    /// <inheritdoc/>
    protected override void AddThroughput(Dictionary<string, double> metrics, List<ImageRollout> rollouts, double seconds) =>
        metrics["time/images_per_s"] = rollouts.Count / Math.Max(seconds, 1e-9);

    /// <summary>Epochs of shuffled minibatches of <see cref="ImageRlOptions.MiniBatchSize"/> over <paramref name="count"/> items (see <see cref="PolicyTrainer{TRollout}.TrainEpochs"/>).</summary>
    protected double TrainEpochs(int count, Action<int[]> backward) => TrainEpochs(count, options.MiniBatchSize, (_, mb) => backward(mb));

    /// <inheritdoc/>
    protected override List<ImageRollout> Collect(List<PromptRecord> batch)
    {
        int n = options.SamplesPerPrompt;
        var prompts = batch.SelectMany(p => Enumerable.Repeat(p.Prompt, n)).ToList();
        var rowRngs = prompts.Select(_ => Random.Split()).ToList();
        // This process samples and scores its share of the prompts; the per-prompt trackers see every process's scores.
        var job = Collectives.World;
        var (mine, firstPrompt) = job.Share(batch, $"{Algorithm}: prompts per iteration");
        int first = firstPrompt * n, count = mine.Count * n;
        var local = prompts.GetRange(first, count);
        var trajectories = Sampler.Sample(ImageConditions.OfCaptions(local), rowRngs.GetRange(first, count));
        var scores = reward.Score([.. trajectories.Select(t => t.Image)], local, Policy.Config.ImageSize);
        rewardQueries += scores.Length;
        var shaped = scores;
        int kd = Sampler.Steps.Count * Policy.Config.ImageValues;
        var referenceMeans = KlPenalty?.ReferenceMeans(Sampler, trajectories);
        if (KlPenalty is not null) (shaped, lastKl) = KlPenalty.Shape(Sampler, trajectories, scores, referenceMeans, recordedMeans: true);
        var all = new double[prompts.Count];
        for (int i = 0; i < count; i++) all[first + i] = shaped[i];
        job.AllReduceSum(all);
        var advantages = stats.Standardize(prompts, [.. all.Select(x => (float)x)]);
        return [.. local.Select((p, i) => new ImageRollout(p, i / n, trajectories[i], scores[i], advantages[first + i])
        {
            ReferenceMeans = KlPenalty is { LossCoefficient: > 0 } ? referenceMeans!.AsSpan(i * kd, kd).ToArray() : null,
        })];
    }

    /// <summary>
    /// Replays <paramref name="chunk"/>'s trajectories with gradients: their (R, <paramref name="trainedSteps"/>) step log-densities and, when
    /// the KL loss term is on, β_L·KL towards the reference (all K steps, from the same forward pass) to add to the method's loss, and the
    /// chunk's mean KL per trajectory; (null, 0) when it is off.
    /// </summary>
    protected (Tensor LogProbs, Tensor? KlLoss, double Kl) Replay(IReadOnlyList<ImageRollout> chunk, int trainedSteps)
    {
        var trajectories = chunk.Select(r => r.Trajectory).ToList();
        if (KlPenalty is not { LossCoefficient: > 0 }) return (Sampler.StepLogProbs(trajectories, trainedSteps), null, 0);
        var (logp, means) = Sampler.Replay(trajectories, Sampler.Steps.Count);
        if (trainedSteps < Sampler.StochasticSteps) logp = Ops.Slice(logp, 1, 0, trainedSteps);
        var (loss, kl) = KlPenalty.Loss(Sampler, means, [.. chunk.SelectMany(r => r.ReferenceMeans ?? throw new InvalidOperationException("ImagePolicyTrainer: a rollout without reference means for the KL loss."))]);
        return (logp, loss, kl);
    }

    /// <inheritdoc/>
    protected override void SaveState(string directory, JsonObject state)
    {
        WeightFile.SaveParameters(Policy.NamedParameters, Path.Combine(directory, "policy.safetensors"));
        DitFolder.Save(Policy, Path.Combine(directory, "policy"));
        state["reward_queries"] = rewardQueries;
        state["prompt_stats"] = stats.ToJson();
    }

    /// <inheritdoc/>
    protected override void LoadState(string directory, JsonObject state)
    {
        WeightFile.LoadParameters(Policy.NamedParameters, Path.Combine(directory, "policy.safetensors"));
        rewardQueries = state["reward_queries"]!.GetValue<long>();
        stats.Restore(state["prompt_stats"]!.AsObject());
    }
}
