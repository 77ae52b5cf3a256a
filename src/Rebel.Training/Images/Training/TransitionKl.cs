// A KL penalty towards the pretrained sampler, as DPOK (Fan et al. 2023) regularises diffusion fine-tuning: each stochastic
// DDIM step is a Gaussian N(μ, σ_k² I) under both the policy and the frozen reference, so its KL has the closed form
// ‖μ_θ − μ_ref‖² / (2σ_k²). Averaged over the image's D dimensions (as the step log-densities are) and summed over the
// steps of a trajectory, it is subtracted from the reward with a coefficient β: r̃ = r − β·Σ_k KL_k. The last DDIM step onto
// the clean image is deterministic (σ = 0, no KL of its own), yet it is where the final pixels are made: it counts with the
// last stochastic step's σ, as if it drew noise of that size, so fine-tuning cannot move the final image freely. The same KL
// can also enter the loss with gradients through μ_θ (DPOK's other form), which pulls back a drift every sample shares.
using Rebel.Models.Diffusion;
using Rebel.Tensors;

namespace Rebel.Training.Images.Training;

/// <summary>Per-trajectory KL between the policy's and a frozen reference model's denoising transitions: the shaped reward and the loss term.</summary>
public sealed class TransitionKl
{
    private readonly IDenoiser reference;

    /// <summary>Freezes a copy of <paramref name="model"/> (its weights now) as the reference, with coefficient <paramref name="coefficient"/> (β ≥ 0).</summary>
    public TransitionKl(IDenoiser model, float coefficient)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(coefficient >= 0)) throw new ArgumentException($"TransitionKl: coefficient {coefficient} must be non-negative.");
        reference = Denoiser.Copy(model);
        Coefficient = coefficient;
    }

    /// <summary>β, the weight of the KL in the shaped reward (<see cref="Shape"/>).</summary>
    public float Coefficient { get; }

    /// <summary>
    /// β_L, the weight of the KL as a differentiable loss term (<see cref="Loss"/>, DPOK's form): unlike the reward penalty, which REBEL's
    /// pair differences cancel when both samples of a pair drift alike, its gradient pulls every sample's transitions back. Default 0.
    /// </summary>
    public float LossCoefficient { get; init; }

    /// <summary>The reference model's means μ_ref(x_k) at the recorded states of all K steps, (R·K, D) trajectory-major.</summary>
    public float[] ReferenceMeans(DdimSampler policy, IReadOnlyList<DdimTrajectory> trajectories)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(trajectories);
        return new DdimSampler(reference, policy.Options).StepMeans(trajectories, policy.Steps.Count);
    }

    /// <summary>
    /// Σ_k (1/D)·‖μ_θ(x_k) − μ_ref(x_k)‖² / (2σ_k²) over all K steps of each trajectory (the last, deterministic one with σ of the
    /// last stochastic step), μ_θ from <paramref name="policy"/>'s model, both evaluated at the recorded states; μ_ref from
    /// <paramref name="referenceMeans"/> when given (<see cref="ReferenceMeans"/> of the same trajectories), else computed. With
    /// <paramref name="recordedMeans"/>, μ_θ is each trajectory's <see cref="DdimTrajectory.Means"/> (right after sampling, when the
    /// model is the one that sampled) instead of another forward pass.
    /// </summary>
    public float[] PerTrajectory(DdimSampler policy, IReadOnlyList<DdimTrajectory> trajectories, float[]? referenceMeans = null, bool recordedMeans = false)
    {
        var theirs = referenceMeans ?? ReferenceMeans(policy, trajectories);
        int k = policy.Steps.Count, d = policy.Model.Config.ImageValues;
        var mine = recordedMeans
            ? [.. trajectories.SelectMany(t => t.Means ?? throw new ArgumentException("TransitionKl: a trajectory without recorded means.")).SelectMany(m => m)]
            : policy.StepMeans(trajectories, k);
        var weights = StepWeights(policy);
        var kl = new float[trajectories.Count];
        for (int i = 0; i < kl.Length; i++)
            for (int s = 0; s < k; s++)
            {
                double sum = 0;
                int row = (i * k + s) * d;
                for (int j = 0; j < d; j++) sum += (mine[row + j] - theirs[row + j]) * (double)(mine[row + j] - theirs[row + j]);
                kl[i] += (float)(sum * weights[s]);
            }
        return kl;
    }

    /// <summary>r̃ = r − β·KL for each trajectory, and the mean KL of the batch (<paramref name="referenceMeans"/> and <paramref name="recordedMeans"/> as in <see cref="PerTrajectory"/>).</summary>
    public (float[] Shaped, double MeanKl) Shape(DdimSampler policy, IReadOnlyList<DdimTrajectory> trajectories, float[] rewards, float[]? referenceMeans = null, bool recordedMeans = false)
    {
        var kl = PerTrajectory(policy, trajectories, referenceMeans, recordedMeans);
        return ([.. rewards.Select((r, i) => r - Coefficient * kl[i])], kl.Length == 0 ? 0 : kl.Average());
    }

    /// <summary>
    /// β_L·(1/R)·Σ_i Σ_k (1/D)·‖μ_θ(x_k) − μ_ref(x_k)‖²/(2σ_k²) with gradients through <paramref name="means"/> (R·K, D), the policy's
    /// replayed means of all K steps of R trajectories (<see cref="DdimSampler.Replay"/>), against <paramref name="referenceMeans"/>
    /// from <see cref="ReferenceMeans"/> for the same trajectories in the same order; and the mean KL per trajectory (without β_L).
    /// </summary>
    public (Tensor Loss, double MeanKl) Loss(DdimSampler policy, Tensor means, float[] referenceMeans)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(referenceMeans);
        int k = policy.Steps.Count, d = policy.Model.Config.ImageValues, n = means.Shape[0];
        if (means.Rank != 2 || means.Shape[1] != d || n % k != 0 || referenceMeans.Length != n * d)
            throw new ArgumentException($"TransitionKl.Loss: means {Tensor.Format(means.Shape)} and {referenceMeans.Length} reference values for {k} steps of {d} values.");
        int r = n / k;
        var weights = StepWeights(policy);
        // mean over all n·D entries of diff²·w_row·(n·D/R) = (1/R)·Σ_rows w_row·‖diff_row‖².
        var rowWeights = new float[n];
        for (int i = 0; i < n; i++) rowWeights[i] = (float)(weights[i % k] * d * k);
        var diff = Ops.Sub(means, Tensor.FromArray(referenceMeans, n, d));
        var kl = Ops.Mean(Ops.Mul(Ops.Mul(diff, diff), Tensor.FromArray(rowWeights, n, 1)));
        return (Ops.Mul(kl, LossCoefficient), kl.Item());
    }

    // 1/(2σ_k²·D) for each of the K steps, the last (deterministic) one with the last stochastic step's σ.
    private static double[] StepWeights(DdimSampler policy)
    {
        int d = policy.Model.Config.ImageValues;
        return [.. Enumerable.Range(0, policy.Steps.Count).Select(s => 1 / (2 * Math.Pow(policy.Steps[Math.Min(s, policy.StochasticSteps - 1)].Sigma, 2) * d))];
    }
}
