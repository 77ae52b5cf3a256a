// Options every image RL trainer (REBEL, DDPO) shares, each with its default and where it comes from; each method's sealed
// record derives from this one. Both methods draw the same number of samples (reward queries) per iteration.
using Rebel.Models.Diffusion;
using Rebel.Tensors.Optim;

namespace Rebel.Training.Images.Training;

/// <summary>Settings shared by <see cref="ImageRebelOptions"/> and <see cref="DdpoOptions"/>.</summary>
public abstract record ImageRlOptions : PolicyOptions
{
    /// <summary>Policy iterations. Default 60.</summary>
    public override int Iterations { get; init; } = 60;

    /// <summary>Prompts (captions) per iteration. Default 32.</summary>
    public override int PromptsPerIteration { get; init; } = 32;

    /// <summary>Trajectories sampled per prompt: reward queries per iteration = prompts × samples. Default 2 (REBEL's online pairs).</summary>
    [Flag("completions-per-prompt", "samples-per-prompt", "num-generations")]
    public int SamplesPerPrompt { get; init; } = 2;

    /// <summary>The sampler that is the policy: K DDIM steps with noise η. Default 10 steps, η = 1 (DDPO samples with η = 1).</summary>
    public DdimOptions Sampler { get; init; } = new();

    /// <summary>DDIM steps K of the policy's sampler (<see cref="Sampler"/>'s steps). Default 10.</summary>
    [Flag("steps")]
    public int SamplerSteps { get => Sampler.Steps; init => Sampler = Sampler with { Steps = value }; }

    /// <summary>DDIM noise η of the policy's sampler, above 0 (<see cref="Sampler"/>'s η). Default 1 (DDPO).</summary>
    [Flag("ddim-eta")]
    public float SamplerEta { get => Sampler.Eta; init => Sampler = Sampler with { Eta = value }; }

    /// <summary>
    /// β of the KL penalty towards the model as given: reward − β·Σ per-step KL of the Gaussian transitions (as DPOK).
    /// Default 0 (off); the image quickstart uses 1.
    /// </summary>
    [Flag("kl-coef")]
    public float KlCoefficient { get; init; }

    /// <summary>
    /// β_L of the KL towards the model as given as a loss term (as DPOK): β_L·Σ per-step KL of the Gaussian transitions, averaged over
    /// the minibatch's trajectories and differentiated through the policy's means, added to the method's loss. Unlike the reward
    /// penalty it also pulls back a drift that every sample shares (which REBEL's pair differences cancel). Default 0 (off); the
    /// image quickstart sets its own.
    /// </summary>
    [Flag("kl-loss-coef")]
    public float KlLossCoefficient { get; init; }

    /// <summary>
    /// The leading (noisiest) stochastic steps whose log-densities enter the loss, or 0 for all K − 1 (DDPO's timestep_fraction).
    /// Later steps have small σ: their log-density gradients are large and mostly noise for rewards decided early (shape,
    /// colour), so training on the first steps only raises the signal-to-noise ratio. Default 0 (all).
    /// </summary>
    public int TrainedSteps { get; init; }

    /// <summary>The number of steps trained for a K-step sampler: <see cref="TrainedSteps"/>, or K − 1 when 0.</summary>
    public int TrainedStepCount => TrainedSteps == 0 ? Sampler.Steps - 1 : TrainedSteps;

    /// <summary>
    /// A regular expression over the denoiser's parameter names (e.g. "emb" for the timestep and caption embeddings and each block's
    /// projection of them): only matching parameters train, the rest stay frozen. Default null: every parameter trains.
    /// </summary>
    public string? TrainableParameters { get; init; }

    /// <summary>Rewards kept per prompt by the running per-prompt statistics. Default 32.</summary>
    public int StatBufferSize { get; init; } = 32;

    /// <summary>Rewards a prompt needs before its own mean and std are used (before that, the batch's). Default 8 (DDPO uses 16 with far more samples per prompt).</summary>
    public int StatMinCount { get; init; } = 8;

    /// <summary>Samples (or pairs) per optimizer step (default per method).</summary>
    [Flag("batch-size", "minibatch")]
    public abstract int MiniBatchSize { get; init; }

    /// <summary>Learning-rate schedule. Default constant (DDPO).</summary>
    [Flag("schedule", "lr-scheduler-type")]
    public override LrScheduleKind Schedule { get; init; } = LrScheduleKind.Constant;

    /// <summary>AdamW ε. Default 1e-8 (DDPO, PyTorch).</summary>
    public override float AdamEpsilon { get; init; } = 1e-8f;

    /// <summary><paramref name="method"/> with every setting of this base record (budget, sampler, KL penalty, statistics, optimizer, seed) copied from this one; the method's own settings (epochs, minibatch, learning rate, …) are kept.</summary>
    public T ShareWith<T>(T method) where T : ImageRlOptions
    {
        ImageRlOptions o = method;
        return (T)(o with
        {
            Iterations = Iterations, PromptsPerIteration = PromptsPerIteration, SamplesPerPrompt = SamplesPerPrompt, Sampler = Sampler,
            KlCoefficient = KlCoefficient, KlLossCoefficient = KlLossCoefficient, TrainedSteps = TrainedSteps, TrainableParameters = TrainableParameters, StatBufferSize = StatBufferSize, StatMinCount = StatMinCount, Schedule = Schedule, WarmupSteps = WarmupSteps, AdamEpsilon = AdamEpsilon,
            WeightDecay = WeightDecay, MaxGradNorm = MaxGradNorm, Seed = Seed, CheckpointEvery = CheckpointEvery,
        });
    }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Require(MiniBatchSize > 0, $"minibatch size must be positive, got {MiniBatchSize}");
        Require(SamplesPerPrompt >= 2, $"samples per prompt must be at least 2, got {SamplesPerPrompt}");
        Require(Sampler.Steps >= 2 && Sampler.Eta > 0, $"the sampler needs at least two steps (DdimSampler) and η > 0, got {Sampler.Steps} steps and η = {Sampler.Eta}");
        Require(TrainedSteps >= 0 && TrainedSteps < Sampler.Steps, $"trained steps must be 0 (all) or 1..{Sampler.Steps - 1}, got {TrainedSteps}");
        Require(KlCoefficient >= 0 && KlLossCoefficient >= 0, $"the KL coefficients must not be negative, got {KlCoefficient} (reward) and {KlLossCoefficient} (loss)");
        Require(StatBufferSize >= 2 && StatMinCount >= 2, "the per-prompt statistics need a buffer and minimum count of at least 2");
    }
}
