using Rebel.Models.Diffusion;
using Rebel.Tensors;

namespace Rebel.Models.Tests;

public class UnetTests
{
    private static DitConfig TinyConfig => new() { Architecture = DitConfig.Unet, ImageSize = 4, HiddenSize = 4, Layers = 2, ConditionSizes = [3, 2], TimestepFeatures = 4, TrainTimesteps = 100 };

    private static UnetModel TinyModel(ulong seed = 5, string conditioning = DitConfig.AddConditioning)
    {
        var model = new UnetModel(TinyConfig with { UnetConditioning = conditioning });
        model.Initialize(new Rng(seed));
        // The second convolution of each block and the output convolution start at zero; give them weights so the whole network is exercised.
        var rng = new Rng(seed + 1);
        foreach (var (name, p) in model.NamedParameters)
            if (name.Contains("conv2", StringComparison.Ordinal) || name.StartsWith("conv_out", StringComparison.Ordinal)) rng.FillNormal(p.Span, 0f, 0.3f);
        return model;
    }

    [Fact]
    public void Conv3x3EqualsTheScalarConvolutionAtStrideOneAndTwo()
    {
        var rng = new Rng(2);
        int b = 2, side = 6, cin = 3, cout = 4;
        var x = new float[b * side * side * cin];
        var w = new float[cout * 9 * cin];
        var bias = new float[cout];
        rng.FillNormal(x);
        rng.FillNormal(w);
        rng.FillNormal(bias);
        foreach (int stride in new[] { 1, 2 })
        {
            using var scope = new TensorScope();
            var got = UnetModel.Conv3x3(Tensor.FromArray(x, b, side * side, cin), Tensor.FromArray(w, cout, 9 * cin), Tensor.FromArray(bias, cout), side, stride).ToArray();
            int os = side / stride;
            Assert.Equal(b * os * os * cout, got.Length);
            for (int i = 0; i < b; i++)
                for (int oy = 0; oy < os; oy++)
                    for (int ox = 0; ox < os; ox++)
                        for (int o = 0; o < cout; o++)
                        {
                            double sum = bias[o];
                            for (int ky = 0; ky < 3; ky++)
                                for (int kx = 0; kx < 3; kx++)
                                {
                                    int y = stride * oy + ky - 1, xx = stride * ox + kx - 1;
                                    if (y < 0 || y >= side || xx < 0 || xx >= side) continue;
                                    for (int c = 0; c < cin; c++) sum += w[o * 9 * cin + (ky * 3 + kx) * cin + c] * x[(i * side * side + y * side + xx) * cin + c];
                                }
                            Assert.Equal(sum, got[((i * os + oy) * os + ox) * cout + o], 1e-4);
                        }
        }
    }

    [Theory]
    [InlineData(DitConfig.AddConditioning)]
    [InlineData(DitConfig.ScaleShiftConditioning)]
    public void GradientMatchesFiniteDifferencesForEveryParameterTensor(string conditioning)
    {
        var model = TinyModel(conditioning: conditioning);
        var x = new float[2 * 3 * 16];
        var r = new float[x.Length];
        new Rng(7).FillNormal(x);
        new Rng(8).FillNormal(r);
        int[] t = [3, 71];
        int[] cond = [0, 1, 2, 0];
        double Loss()
        {
            using var scope = new TensorScope();
            using var noGrad = Autograd.NoGrad();
            var y = model.Forward(Tensor.FromArray(x, 2, 3, 4, 4), t, cond).ToArray();
            double s = 0;
            for (int i = 0; i < y.Length; i++) s += (double)y[i] * r[i];
            return s;
        }
        using (var scope = new TensorScope())
        {
            var y = model.Forward(Tensor.FromArray(x, 2, 3, 4, 4), t, cond);
            Ops.Sum(Ops.Mul(y, Tensor.FromArray(r, y.Shape))).Backward();
        }
        var pick = new Rng(9);
        foreach (var (name, p) in model.NamedParameters)
        {
            Assert.True(p.Grad is not null, $"no gradient reached {name}");
            var grad = p.Grad!.ToArray();
            for (int trial = 0; trial < 2; trial++)
            {
                int j = pick.NextInt(p.Size);
                float keep = p.Span[j];
                const float h = 1e-3f;
                p.Span[j] = keep + h;
                double up = Loss();
                p.Span[j] = keep - h;
                double down = Loss();
                p.Span[j] = keep;
                double fd = (up - down) / (2 * h);
                Assert.True(Math.Abs(fd - grad[j]) <= 2e-2 * Math.Max(1, Math.Abs(fd)), $"{name}[{j}]: finite difference {fd}, gradient {grad[j]}");
            }
        }
    }

    [Theory]
    [InlineData(DitConfig.AddConditioning)]
    [InlineData(DitConfig.ScaleShiftConditioning)]
    public void SamplerReplaysTheRecordedLogProbsAndTheFolderRoundTrips(string conditioning)
    {
        var model = TinyModel(conditioning: conditioning);
        var sampler = new DdimSampler(model, new DdimOptions { Steps = 3, Eta = 1f });
        var trajectories = sampler.Sample([0, 1, 2, 0], [new Rng(1), new Rng(2)]);
        var dir = Directory.CreateTempSubdirectory("rebel-unet").FullName;
        try
        {
            DitFolder.Save(model, dir);
            var back = DitFolder.Load(dir);
            Assert.IsType<UnetModel>(back);
            Assert.Equal(DitConfig.Unet, back.Config.Architecture);
            Assert.Equal(conditioning, back.Config.UnetConditioning);
            // The reloaded model replays the original model's trajectories to the log-densities recorded while sampling.
            using var scope = new TensorScope();
            var replay = new DdimSampler(back, sampler.Options).StepLogProbs(trajectories).ToArray();
            for (int i = 0; i < 2; i++)
                for (int k = 0; k < 2; k++)
                    Assert.Equal(trajectories[i].StepLogProbs[k], replay[i * 2 + k], 1e-3f * Math.Max(1f, Math.Abs(trajectories[i].StepLogProbs[k])));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AFreshUnetPredictsZeroAndAnImageSizeTheLevelsCannotHalveIsRejected()
    {
        var model = new UnetModel(TinyConfig);
        model.Initialize(new Rng(1));
        using var scope = new TensorScope();
        var y = model.Forward(Tensor.Full(0.5f, 1, 3, 4, 4), [10], [1, 1]);
        Assert.All(y.ToArray(), v => Assert.Equal(0f, v));
        var e = Assert.Throws<ArgumentException>(() => new UnetModel(TinyConfig with { ImageSize = 6, Layers = 3 }));
        Assert.Contains("not a multiple of 4", e.Message, StringComparison.Ordinal);
    }
}
