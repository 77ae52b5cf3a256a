// DDPO (Black et al. 2023, DDPO_IS): policy-gradient fine-tuning of a diffusion sampler with a PPO-style clipped ratio per
// denoising step. Each step's ratio exp(ln π_θ(x_{k+1}|x_k) − ln π_old(x_{k+1}|x_k)) is clipped and weighted by the
// trajectory's per-prompt standardised reward (clipped to ±AdvantageClip); the baseline REBEL is compared with.
using Rebel.Models.Diffusion;
using Rebel.Tensors;
using Rebel.Training.Images.Rewards;
using Rebel.Training.Losses;

namespace Rebel.Training.Images.Training;

/// <summary>Trains a diffusion denoiser (<see cref="IDenoiser"/>) with DDPO against an image reward.</summary>
public sealed class DdpoTrainer : ImagePolicyTrainer
{
    /// <summary>The options in force.</summary>
    public DdpoOptions Options { get; }

    /// <summary>Sets up DDPO on <paramref name="policy"/> with captions <paramref name="prompts"/>.</summary>
    public DdpoTrainer(IDenoiser policy, IReadOnlyList<string> prompts, IImageReward reward, DdpoOptions options, string? outputDirectory = null)
        : base("ddpo", policy, prompts, reward, options, options.PromptsPerIteration * options.SamplesPerPrompt, outputDirectory) => Options = options;

    /// <inheritdoc/>
    protected override void Update(List<ImageRollout> rollouts, Dictionary<string, double> metrics)
    {
        int k = Options.TrainedStepCount;
        double lossSum = 0, clipSum = 0, klSum = 0, referenceKlSum = 0;
        int count = 0;
        double gradNorm = TrainEpochs(rollouts.Count, mb =>
        {
            var chunk = mb.Select(i => rollouts[i]).ToList();
            var (logp, klLoss, referenceKl) = Replay(chunk, k); // (R, k)
            float[] old = [.. chunk.SelectMany(r => r.Trajectory.StepLogProbs.Take(k))];
            float[] adv = [.. chunk.SelectMany(r => Enumerable.Repeat(Math.Clamp(r.Advantage, -Options.AdvantageClip, Options.AdvantageClip), k))];
            float[] mask = [.. Enumerable.Repeat(1f, old.Length)];
            var loss = PpoLoss.Policy(logp, old, adv, mask, Options.ClipRange);
            (klLoss is null ? loss : Ops.Add(loss, klLoss)).Backward();
            referenceKlSum += referenceKl * chunk.Count;
            var now = logp.Span;
            lossSum += loss.Item() * chunk.Count;
            clipSum += PpoLoss.ClipFraction(now, old, mask, Options.ClipRange) * chunk.Count;
            for (int i = 0; i < old.Length; i++) klSum += 0.5 * (now[i] - old[i]) * (now[i] - old[i]) / k;
            count += chunk.Count;
        });
        metrics["loss/policy_avg"] = lossSum / Math.Max(count, 1);
        metrics["policy/clipfrac_avg"] = clipSum / Math.Max(count, 1);
        metrics["policy/approxkl_avg"] = klSum / Math.Max(count, 1);
        if (KlPenalty is { LossCoefficient: > 0 }) metrics["loss/kl_avg"] = referenceKlSum / Math.Max(count, 1);
        metrics["grad_norm"] = gradNorm;
    }
}
