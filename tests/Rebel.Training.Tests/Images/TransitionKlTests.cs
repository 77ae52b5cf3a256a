using Rebel.Models.Diffusion;
using Rebel.Tensors;
using Rebel.Training.Images.Data;
using Rebel.Training.Images.Training;

namespace Rebel.Training.Tests.Images;

public class TransitionKlTests
{
    private static readonly DdimOptions Sampler = new() { Steps = 4 };

    private static List<DdimTrajectory> Trajectories(DitModel model, int count) =>
        new DdimSampler(model, Sampler).Sample(ImageConditions.OfCaptions(TinyDiffusion.Captions.Take(count)), [.. Enumerable.Range(0, count).Select(i => new Rng((ulong)(100 + i)))]);

    // Moves every weight by Gaussian noise of σ 0.05, so the model differs from the reference it was frozen as.
    private static void Perturb(DitModel model, ulong seed)
    {
        var rng = new Rng(seed);
        foreach (var p in model.Parameters)
        {
            var noise = new float[p.Size];
            rng.FillNormal(noise, 0f, 0.05f);
            for (int i = 0; i < noise.Length; i++) p.Span[i] += noise[i];
        }
    }

    [Fact]
    public void KlIsZeroForTheReferenceItself()
    {
        var model = TinyDiffusion.Model();
        var kl = new TransitionKl(model, 1f).PerTrajectory(new DdimSampler(model, Sampler), Trajectories(model, 4));
        Assert.All(kl, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void KlEqualsTheLogDensityGapAtThePolicyMean()
    {
        // For Gaussians of equal σ, KL(N(μ_θ, σ²) ‖ N(μ_ref, σ²)) = ln N(μ_θ; μ_θ, σ²) − ln N(μ_θ; μ_ref, σ²): checked through the sampler's
        // own log-density code, per step and summed over a trajectory's steps; the deterministic last step counts with the last stochastic σ.
        var model = TinyDiffusion.Model();
        var penalty = new TransitionKl(model, 1f);
        var reference = TinyDiffusion.Model();
        Perturb(model, 9);
        var policy = new DdimSampler(model, Sampler);
        var trajectories = Trajectories(model, 3);
        int k = policy.Steps.Count, d = model.Config.ImageValues;
        float[] mine = policy.StepMeans(trajectories, k), theirs = new DdimSampler(reference, Sampler).StepMeans(trajectories, k);
        var steps = policy.Steps.Select((c, s) => s < policy.StochasticSteps ? c : c with { Sigma = policy.Steps[policy.StochasticSteps - 1].Sigma }).ToList();
        var rows = Enumerable.Range(0, trajectories.Count).SelectMany(_ => steps).ToList();
        var self = DdimSampler.StepLogDensity(Tensor.FromArray(mine, rows.Count, d), mine, rows).Span.ToArray();
        var cross = DdimSampler.StepLogDensity(Tensor.FromArray(theirs, rows.Count, d), mine, rows).Span.ToArray();
        var kl = penalty.PerTrajectory(policy, trajectories);
        for (int i = 0; i < trajectories.Count; i++)
        {
            double expected = Enumerable.Range(i * k, k).Sum(r => (double)self[r] - cross[r]);
            Assert.True(expected > 0);
            Assert.Equal(expected, kl[i], 3);
        }
    }

    [Fact]
    public void KlLossIsTheCoefficientTimesTheMeanTrajectoryKlAndPullsTowardsTheReference()
    {
        var model = TinyDiffusion.Model();
        var penalty = new TransitionKl(model, 0f) { LossCoefficient = 3f };
        Perturb(model, 4);
        var policy = new DdimSampler(model, Sampler);
        var trajectories = Trajectories(model, 3);
        var perTrajectory = penalty.PerTrajectory(policy, trajectories);
        using var scope = new TensorScope();
        var (_, means) = policy.Replay(trajectories, policy.Steps.Count);
        var (loss, kl) = penalty.Loss(policy, means, penalty.ReferenceMeans(policy, trajectories));
        Assert.Equal(perTrajectory.Average(), kl, 4);
        Assert.Equal(3 * perTrajectory.Average(), loss.Item(), 3);
        // One small gradient step on the loss lowers every trajectory's KL.
        loss.Backward();
        foreach (var p in model.Parameters)
            for (int i = 0; i < p.Size; i++) p.Span[i] -= 1e-3f * p.Grad![i];
        var after = penalty.PerTrajectory(policy, trajectories);
        Assert.True(after.Sum() < perTrajectory.Sum(), $"KL {perTrajectory.Sum():G4} → {after.Sum():G4} after a step down the loss");
    }

    [Fact]
    public void KlLossHoldsARebelPolicyThatTheRewardPenaltyLetsDrift()
    {
        // REBEL regresses on reward differences within a pair: a KL that both samples pay alike cancels, so the reward penalty
        // hardly holds the policy; the same β as a loss term pulls every sample back.
        double FinalKl(float reward, float loss)
        {
            var model = TinyDiffusion.Model();
            var trainer = new ImageRebelTrainer(model, TinyDiffusion.Captions, new TinyDiffusion.Brightness(), new ImageRebelOptions
            {
                Iterations = 10, PromptsPerIteration = 8, Sampler = Sampler, LearningRate = 5e-3f, MiniBatchSize = 4, Seed = 5, Eta = 10f,
                KlCoefficient = reward, KlLossCoefficient = loss,
            });
            trainer.Train();
            var probe = new TransitionKl(TinyDiffusion.Model(), 1f);
            return probe.PerTrajectory(new DdimSampler(model, Sampler), Trajectories(model, 8)).Average();
        }

        double asReward = FinalKl(5f, 0f), asLoss = FinalKl(0f, 5f);
        Assert.True(asLoss < 0.5 * asReward, $"KL to the start after training: β in the reward {asReward:G3}, β in the loss {asLoss:G3}");
    }

    [Fact]
    public void KlPenaltyHoldsThePolicyNearThePretrainedSampler()
    {
        double FinalKl(float coefficient)
        {
            var model = TinyDiffusion.Model();
            var trainer = new ImageRebelTrainer(model, TinyDiffusion.Captions, new TinyDiffusion.Brightness(), new ImageRebelOptions
            {
                Iterations = 12, PromptsPerIteration = 8, Sampler = Sampler, LearningRate = 5e-3f, MiniBatchSize = 4, Seed = 5, Eta = 10f,
            })
            { KlPenalty = new TransitionKl(model, coefficient) };
            trainer.Train();
            return trainer.Metrics.Rows.TakeLast(3).Average(r => r["objective/kl"]);
        }

        double free = FinalKl(0f), held = FinalKl(500f);
        Assert.True(free > 0, "the unpenalised run moved away from its start");
        Assert.True(held < 0.7 * free, $"mean KL of the last iterations: β = 0 {free:G3}, β = 500 {held:G3}");
    }
}
