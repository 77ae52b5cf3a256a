using Rebel.Models.Diffusion;
using Rebel.Tensors;

namespace Rebel.Models.Tests;

public class DiffusionTests
{
    private static DitModel TinyModel(ulong seed = 3)
    {
        var model = new DitModel(new DitConfig { ImageSize = 8, PatchSize = 2, HiddenSize = 16, Layers = 2, Heads = 2, ConditionSizes = [3, 4] });
        model.Initialize(new Rng(seed));
        // adaLN-Zero starts every block and the head at zero; give them weights so the test exercises the whole network.
        foreach (var (name, p) in model.NamedParameters)
            if (name.Contains("adaLN", StringComparison.Ordinal) || name.StartsWith("final_layer", StringComparison.Ordinal)) new Rng(seed + 1).FillNormal(p.Span, 0f, 0.1f);
        return model;
    }

    [Fact]
    public void StepLogDensityEqualsClosedFormGaussian()
    {
        var rng = new Rng(11);
        int n = 3, d = 7;
        var mean = new float[n * d];
        var x = new float[n * d];
        rng.FillNormal(mean);
        rng.FillNormal(x);
        float[] sigmas = [0.05f, 0.5f, 1.7f];
        var rows = sigmas.Select(s => new DdimSampler.StepCoefficients(1, 0, 1, 0, 1, 0, s)).ToArray();
        var got = DdimSampler.StepLogDensity(Tensor.FromArray(mean, n, d), x, rows).ToArray();
        for (int i = 0; i < n; i++)
        {
            double s = sigmas[i], sum = 0;
            for (int j = 0; j < d; j++)
            {
                double z = (x[i * d + j] - mean[i * d + j]) / s;
                sum += Math.Log(Math.Exp(-0.5 * z * z) / (s * Math.Sqrt(2 * Math.PI)));
            }
            Assert.Equal(sum / d, got[i], 1e-3 * Math.Max(1, Math.Abs(sum / d)));
        }
    }

    [Fact]
    public void StepNoiseMatchesTheDdpmPosteriorAtEtaOne()
    {
        var schedule = new NoiseSchedule(1000);
        var c = DdimSampler.Coefficients(schedule, 500, 400, eta: 1f);
        double at = schedule.AlphaBar(500), ap = schedule.AlphaBar(400);
        double posterior = (1 - ap) / (1 - at) * (1 - at / ap); // β̃ of the jump t → s
        Assert.Equal(Math.Sqrt(posterior), c.Sigma, 1e-5);
        Assert.True(schedule.AlphaBar(999) < 1e-3 && schedule.AlphaBar(0) > 0.999);
    }

    [Fact]
    public void ReplayedLogProbEqualsTheOneRecordedWhileSampling()
    {
        var model = TinyModel();
        var sampler = new DdimSampler(model, new DdimOptions { Steps = 4, Eta = 1f });
        int[] cond = [0, 1, 2, 3, 1, 0];
        var trajectories = sampler.Sample(cond, [new Rng(1), new Rng(2), new Rng(3)]);
        using var scope = new TensorScope();
        var replay = sampler.StepLogProbs([trajectories[2], trajectories[0], trajectories[1]]); // (3, K), another batch order
        Assert.Equal([3, 3], replay.Shape);
        var r = replay.ToArray();
        int[] order = [2, 0, 1];
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 3; k++)
            {
                float recorded = trajectories[order[i]].StepLogProbs[k];
                Assert.Equal(recorded, r[i * 3 + k], 2e-3f * Math.Max(1f, Math.Abs(recorded)));
            }
        var leading = sampler.StepLogProbs([trajectories[2], trajectories[0], trajectories[1]], 2).ToArray(); // the first 2 steps only
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 2; k++) Assert.Equal(r[i * 3 + k], leading[i * 2 + k], 1e-3f * Math.Max(1f, Math.Abs(r[i * 3 + k])));
        // A row's sample depends only on its own random source, not on its batch.
        var alone = sampler.Sample([2, 3], [new Rng(2)])[0];
        Assert.Equal(trajectories[1].Image, alone.Image, (a, b) => Math.Abs(a - b) < 1e-4f);
    }

    [Fact]
    public void FullReplayGivesTheMeansOfEveryStepAndTheStochasticStepsLogProbs()
    {
        var model = TinyModel();
        var sampler = new DdimSampler(model, new DdimOptions { Steps = 4, Eta = 1f });
        var trajectories = sampler.Sample([0, 1, 2, 3, 1, 0], [new Rng(1), new Rng(2), new Rng(3)]);
        using var scope = new TensorScope();
        var (logp, means) = sampler.Replay(trajectories, 4); // all K = 4 steps, the last one deterministic
        Assert.Equal([3, 3], logp.Shape);
        Assert.Equal([12, model.Config.ImageValues], means.Shape);
        var expectedMeans = sampler.StepMeans(trajectories, 4);
        Assert.Equal(expectedMeans, means.ToArray(), (a, b) => Math.Abs(a - b) < 1e-5f);
        // The means recorded while sampling are the same numbers (the model has not changed since).
        Assert.Equal(expectedMeans, trajectories.SelectMany(t => t.Means!).SelectMany(m => m).ToArray(), (a, b) => Math.Abs(a - b) < 1e-5f);
        var stochastic = sampler.StepLogProbs(trajectories).ToArray();
        Assert.Equal(stochastic, logp.ToArray(), (a, b) => Math.Abs(a - b) < 1e-4f * Math.Max(1f, Math.Abs(a)));
        // The deterministic last step's mean is the sampled image itself.
        for (int i = 0; i < 3; i++)
            Assert.Equal(trajectories[i].Image, expectedMeans.AsSpan((i * 4 + 3) * model.Config.ImageValues, model.Config.ImageValues).ToArray(), (a, b) => Math.Abs(a - b) < 1e-5f);
    }

    [Fact]
    public void ReplayGradientReachesEveryParameter()
    {
        var model = TinyModel();
        var sampler = new DdimSampler(model, new DdimOptions { Steps = 3 });
        var tr = sampler.Sample([1, 2, 2, 0], [new Rng(5), new Rng(6)]);
        using var scope = new TensorScope();
        Ops.Sum(sampler.StepLogProbs(tr)).Backward();
        foreach (var (name, p) in model.NamedParameters)
            Assert.True(p.Grad is not null && p.Grad.Any(g => g != 0), $"no gradient reached {name}");
    }

    [Fact]
    public void AnInvalidConfigFileIsRejectedNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rebel-dit-{Guid.NewGuid():N}.json");
        try
        {
            new DitConfig().Save(path);
            File.WriteAllText(path, File.ReadAllText(path).Replace("\"image_size\": 16", "\"image_size\": 10").Replace("\"patch_size\": 2", "\"patch_size\": 4"));
            var e = Assert.Throws<InvalidDataException>(() => DitConfig.Load(path));
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
            Assert.Contains("patch size 4", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void PatchifyRoundTripsAndFolderReloads()
    {
        var model = TinyModel();
        var x = new float[2 * 3 * 8 * 8];
        new Rng(4).FillNormal(x);
        var tokens = model.Patchify(Tensor.FromArray(x, 2, 3, 8, 8));
        Assert.Equal([2, 16, 12], tokens.Shape);
        // Token (gy, gx) holds its patch in (channel, py, px) order: token 0, value 3 is channel 0, pixel (1, 1);
        // token 1 (gy 0, gx 1), value 4 is channel 1, pixel (0, 2).
        Assert.Equal(x[0 * 64 + 1 * 8 + 1], tokens.Span[3]);
        Assert.Equal(x[1 * 64 + 0 * 8 + 2], tokens.Span[12 + 4]);
        Assert.Equal(x, model.Unpatchify(tokens).ToArray());
        var dir = Directory.CreateTempSubdirectory("rebel-dit").FullName;
        try
        {
            DitFolder.Save(model, dir);
            var back = DitFolder.Load(dir);
            Assert.Equal(model.Config.ConditionSizes, back.Config.ConditionSizes);
            foreach (var (name, p) in model.NamedParameters) Assert.Equal(p.ToArray(), back.NamedParameters[name].ToArray());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void VPredictionTurnsTheOutputIntoNoiseBeforeTheDdimStep()
    {
        // A fresh DiT outputs exactly 0 (adaLN-Zero head). As v = 0 its noise estimate is ε̂ = √(1−ᾱ)·x_t and its clean image √ᾱ·x_t,
        // so the first step's mean and log-density have a closed form that differs from the ε-model's (ε̂ = 0).
        var model = new DitModel(new DitConfig { ImageSize = 8, PatchSize = 2, HiddenSize = 16, Layers = 2, Heads = 2, ConditionSizes = [3], PredictionType = DitConfig.VPrediction });
        model.Initialize(new Rng(7));
        var sampler = new DdimSampler(model, new DdimOptions { Steps = 3, Eta = 1f });
        var tr = sampler.Sample([1], [new Rng(8)])[0];
        var c = sampler.Steps[0];
        double sqrtA = 1 / (double)c.InverseSqrtAlphaBar, sqrtOneMinusA = c.NoiseToClean * sqrtA, sum = 0;
        var (x, next) = (tr.States[0], tr.States[1]);
        for (int j = 0; j < x.Length; j++)
        {
            double x0 = Math.Clamp(sqrtA * x[j], -1, 1), mu = c.MeanScale * x0 + c.NoiseScale * sqrtOneMinusA * x[j];
            sum += (next[j] - mu) * (next[j] - mu);
        }
        double expected = -sum / (2.0 * c.Sigma * c.Sigma * x.Length) - Math.Log(c.Sigma) - 0.5 * Math.Log(2 * Math.PI);
        Assert.Equal(expected, tr.StepLogProbs[0], 1e-3);
        Assert.Throws<ArgumentException>(() => (new DitConfig { PredictionType = "sample" }).Validate());
    }
}
