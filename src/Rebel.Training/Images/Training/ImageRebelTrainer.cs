// REBEL for diffusion models (Gao et al. 2024, image experiments): two trajectories per caption from the stochastic DDIM
// policy π_t, rewards standardised per prompt, and the same regression as for language models: fit [ln π_θ/π_t(τ) −
// ln π_θ/π_t(τ')] to η times the difference of the standardised rewards, where ln π(τ) sums the per-step log-densities.
using Rebel.Models.Diffusion;
using Rebel.Tensors;
using Rebel.Training.Images.Rewards;
using Rebel.Training.Losses;

namespace Rebel.Training.Images.Training;

/// <summary>Trains a diffusion denoiser (<see cref="IDenoiser"/>) with REBEL against an image reward.</summary>
public sealed class ImageRebelTrainer : ImagePolicyTrainer
{
    /// <summary>The options in force.</summary>
    public ImageRebelOptions Options { get; }

    /// <summary>Sets up REBEL on <paramref name="policy"/> with captions <paramref name="prompts"/>.</summary>
    public ImageRebelTrainer(IDenoiser policy, IReadOnlyList<string> prompts, IImageReward reward, ImageRebelOptions options, string? outputDirectory = null)
        : base("rebel", policy, prompts, reward, options, options.PromptsPerIteration, outputDirectory) => Options = options;

    /// <inheritdoc/>
    protected override void Update(List<ImageRollout> rollouts, Dictionary<string, double> metrics)
    {
        var pairs = rollouts.GroupBy(r => r.Group).Select(g => g.Count() == 2 ? (Y: g.First(), Other: g.Last()) : (Y: g.MaxBy(r => r.Score)!, Other: g.MinBy(r => r.Score)!)).ToList();
        double lossSum = 0, residualSum = 0, klSum = 0;
        int count = 0;
        double gradNorm = TrainEpochs(pairs.Count, mb =>
        {
            var chunk = mb.Select(i => pairs[i]).ToList();
            var (loss, residual, klLoss, kl) = PairLoss(chunk);
            (klLoss is null ? loss : Ops.Add(loss, klLoss)).Backward();
            lossSum += loss.Item() * chunk.Count;
            residualSum += residual;
            klSum += kl * chunk.Count;
            count += chunk.Count;
        });
        metrics["loss/policy_avg"] = lossSum / Math.Max(count, 1);
        if (KlPenalty is { LossCoefficient: > 0 }) metrics["loss/kl_avg"] = klSum / Math.Max(count, 1);
        metrics["rebel/residual_abs"] = residualSum / Math.Max(count, 1);
        metrics["rebel/target_abs"] = pairs.Average(p => Math.Abs(p.Y.Advantage - p.Other.Advantage));
        metrics["grad_norm"] = gradNorm;
    }

    /// <summary>The REBEL loss on a chunk of pairs (trajectories interleaved τ₀, τ'₀, τ₁, τ'₁, …), Σ|residual|, and the KL loss term (null when off) with its mean KL.</summary>
    private (Tensor Loss, double ResidualAbsSum, Tensor? KlLoss, double Kl) PairLoss(List<(ImageRollout Y, ImageRollout Other)> chunk)
    {
        int p = chunk.Count;
        int steps = Options.TrainedStepCount;
        var (stepLogProbs, klLoss, kl) = Replay([.. chunk.SelectMany(c => new[] { c.Y, c.Other })], steps);
        var logp = Ops.Reshape(Ops.Sum(stepLogProbs, 1), p, 2); // (P, 2)
        var y = Ops.Reshape(Ops.Slice(logp, 1, 0, 1), p);
        var other = Ops.Reshape(Ops.Slice(logp, 1, 1, 1), p);
        float[] oldY = [.. chunk.Select(c => c.Y.Trajectory.StepLogProbs.Take(steps).Sum())], oldOther = [.. chunk.Select(c => c.Other.Trajectory.StepLogProbs.Take(steps).Sum())];
        float[] target = [.. chunk.Select(c => c.Y.Advantage - c.Other.Advantage)];
        var residual = RebelLoss.Residual(y, other, oldY, oldOther, target, Options.Eta);
        double abs = 0;
        foreach (var r in residual.Span) abs += Math.Abs(r);
        return (RebelLoss.FromResidual(residual), abs, klLoss, kl);
    }
}
