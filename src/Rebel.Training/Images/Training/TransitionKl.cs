// A KL penalty towards the pretrained sampler, as DPOK (Fan et al. 2023) regularises diffusion fine-tuning: each stochastic
// DDIM step is a Gaussian N(μ, σ_k² I) under both the policy and the frozen reference, so its KL has the closed form
// ‖μ_θ − μ_ref‖² / (2σ_k²). Averaged over the image's D dimensions (as the step log-densities are) and summed over the
// steps of a trajectory, it is subtracted from the reward with a coefficient β: r̃ = r − β·Σ_k KL_k. The last DDIM step onto
// the clean image is deterministic (σ = 0, no KL of its own), yet it is where the final pixels are made: it counts with the
// last stochastic step's σ, as if it drew noise of that size, so fine-tuning cannot move the final image freely.
using Rebel.Models.Diffusion;

namespace Rebel.Training.Images.Training;

/// <summary>Per-trajectory KL between the policy's and a frozen reference model's denoising transitions, and the shaped reward.</summary>
public sealed class TransitionKl
{
    private readonly DitModel reference;

    /// <summary>Freezes a copy of <paramref name="model"/> (its weights now) as the reference, with coefficient <paramref name="coefficient"/> (β ≥ 0).</summary>
    public TransitionKl(DitModel model, float coefficient)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(coefficient >= 0)) throw new ArgumentException($"TransitionKl: coefficient {coefficient} must be non-negative.");
        reference = new DitModel(model.Config);
        foreach (var (name, tensor) in model.NamedParameters) tensor.Span.CopyTo(reference.NamedParameters[name].Span);
        Coefficient = coefficient;
    }

    /// <summary>β, the weight of the KL in the shaped reward.</summary>
    public float Coefficient { get; }

    /// <summary>
    /// Σ_k (1/D)·‖μ_θ(x_k) − μ_ref(x_k)‖² / (2σ_k²) over all K steps of each trajectory (the last, deterministic one with σ of the
    /// last stochastic step), μ_θ from <paramref name="policy"/>'s model, both evaluated at the recorded states.
    /// </summary>
    public float[] PerTrajectory(DdimSampler policy, IReadOnlyList<DdimTrajectory> trajectories)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(trajectories);
        int k = policy.Steps.Count, d = policy.Model.Config.ImageValues;
        var mine = policy.StepMeans(trajectories, k);
        var theirs = new DdimSampler(reference, policy.Options).StepMeans(trajectories, k);
        var kl = new float[trajectories.Count];
        for (int i = 0; i < kl.Length; i++)
            for (int s = 0; s < k; s++)
            {
                double sum = 0, sigma = policy.Steps[Math.Min(s, policy.StochasticSteps - 1)].Sigma;
                int row = (i * k + s) * d;
                for (int j = 0; j < d; j++) sum += (mine[row + j] - theirs[row + j]) * (double)(mine[row + j] - theirs[row + j]);
                kl[i] += (float)(sum / (2 * sigma * sigma * d));
            }
        return kl;
    }

    /// <summary>r̃ = r − β·KL for each trajectory, and the mean KL of the batch.</summary>
    public (float[] Shaped, double MeanKl) Shape(DdimSampler policy, IReadOnlyList<DdimTrajectory> trajectories, float[] rewards)
    {
        var kl = PerTrajectory(policy, trajectories);
        return ([.. rewards.Select((r, i) => r - Coefficient * kl[i])], kl.Length == 0 ? 0 : kl.Average());
    }
}
