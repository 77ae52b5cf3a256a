using Rebel.Models.Diffusion;
using Rebel.Training.Images.Data;
using Rebel.Training.Images.Training;

namespace Rebel.Training.Tests.Images;

public class ImageTrainerTests
{
    private static readonly DdimOptions Sampler = new() { Steps = 4 };

    internal static ImageRebelOptions Rebel(int iterations) => new()
    {
        Iterations = iterations, PromptsPerIteration = 8, Sampler = Sampler, LearningRate = 5e-3f, MiniBatchSize = 4, Seed = 5, Eta = 10f,
    };

    internal static DdpoOptions Ddpo(int iterations) => new()
    {
        Iterations = iterations, PromptsPerIteration = 8, Sampler = Sampler, LearningRate = 2e-2f, MiniBatchSize = 8, Seed = 5,
    };

    [Fact]
    public void RebelRaisesTheRewardOfHeldOutSamples()
    {
        var model = TinyDiffusion.Model();
        double before = TinyDiffusion.HeldOutBrightness(model, Sampler);
        var trainer = new ImageRebelTrainer(model, TinyDiffusion.Captions, new TinyDiffusion.Brightness(), Rebel(20));
        trainer.Train();
        double after = TinyDiffusion.HeldOutBrightness(model, Sampler);
        Assert.True(after > before + 0.05, $"held-out brightness {before:F3} -> {after:F3}");
        Assert.Equal(20 * 8 * 2, trainer.Metrics.Rows[^1]["reward_queries"]);
        Assert.All(trainer.Metrics.Rows, r => Assert.True(double.IsFinite(r["loss/policy_avg"])));
    }

    [Fact]
    public void OnlyTheChosenParametersMove()
    {
        var model = TinyDiffusion.Model();
        // The DiT starts with zero adaLN-Zero and output layers, which pass no gradient back: give them values, as pretraining would.
        var rng = new Tensors.Rng(3);
        foreach (var p in model.Parameters.Where(p => !p.Span.ContainsAnyExcept(0f))) rng.FillNormal(p.Span, 0f, 0.05f);
        var before = model.NamedParameters.ToDictionary(p => p.Key, p => p.Value.Span.ToArray());
        var trainer = new ImageRebelTrainer(model, TinyDiffusion.Captions, new TinyDiffusion.Brightness(), Rebel(2) with { TrainableParameters = "emb" });
        trainer.Train();
        int moved = 0, chosen = 0;
        foreach (var (name, p) in model.NamedParameters)
        {
            bool changed = !p.Span.SequenceEqual(before[name]);
            if (name.Contains("emb", StringComparison.Ordinal)) { chosen++; moved += changed ? 1 : 0; }
            else Assert.False(changed, $"frozen parameter {name} changed");
        }
        Assert.True(chosen > 0 && moved > 0, $"{moved} of {chosen} chosen parameters moved");
        var none = Rebel(1) with { TrainableParameters = "no-such-parameter" };
        var error = Assert.Throws<ArgumentException>(() => new ImageRebelTrainer(TinyDiffusion.Model(), TinyDiffusion.Captions, new TinyDiffusion.Brightness(), none));
        Assert.Contains("no-such-parameter", error.Message);
        var broken = Assert.Throws<ArgumentException>(() => ImagePolicyTrainer.TrainableParameters(TinyDiffusion.Model(), "emb["));
        Assert.Contains("'emb['", broken.Message);
    }

    [Fact]
    public void DdpoRaisesTheRewardWithTheSameRewardQueries()
    {
        var model = TinyDiffusion.Model();
        double before = TinyDiffusion.HeldOutBrightness(model, Sampler);
        var trainer = new DdpoTrainer(model, TinyDiffusion.Captions, new TinyDiffusion.Brightness(), Ddpo(12));
        trainer.Train();
        double after = TinyDiffusion.HeldOutBrightness(model, Sampler);
        Assert.True(after > before + 0.1, $"held-out brightness {before:F3} -> {after:F3}");
        Assert.Equal(12 * 8 * 2, trainer.Metrics.Rows[^1]["reward_queries"]);
    }

    [Fact]
    public void PretrainingLowersTheNoisePredictionLoss()
    {
        var model = TinyDiffusion.Model();
        var data = ShapesDataset.Generate(1, 256, TinyDiffusion.Size);
        var losses = new List<double>();
        var trainer = new DiffusionPretrainer(model, data, new DiffusionPretrainOptions { Steps = 60, BatchSize = 32, LearningRate = 3e-3f })
        {
            StepCompleted = (_, loss) => losses.Add(loss),
        };
        trainer.Train();
        Assert.Equal(60, losses.Count);
        Assert.True(losses.TakeLast(10).Average() < 0.8 * losses.Take(10).Average(), $"loss {losses.Take(10).Average():F3} -> {losses.TakeLast(10).Average():F3}");
    }

    [Fact]
    public void PretrainingConditionsOnTheCaptionNotOnWhatTheImageShows()
    {
        var data = ShapesDataset.Generate(1, 64, TinyDiffusion.Size);
        // The third step's loss: adaLN-Zero starts with the condition's gates at zero, so the first step cannot see it.
        double ThirdLoss(IReadOnlyList<ShapeImage> images)
        {
            double loss = double.NaN;
            new DiffusionPretrainer(TinyDiffusion.Model(), images, new DiffusionPretrainOptions { Steps = 3, BatchSize = 16, LearningRate = 3e-3f }) { StepCompleted = (_, l) => loss = l }.Train();
            return loss;
        }
        double clean = ThirdLoss(data);
        // The same pixels and attributes with every caption naming another shape: only the condition differs.
        double renamed = ThirdLoss(ShapesDataset.WithCaptionNoise(data, 1, 2, "shape"));
        Assert.Equal(clean, ThirdLoss(ShapesDataset.WithCaptionNoise(data, 0, 2)));
        Assert.NotEqual(clean, renamed);
    }

    [Fact]
    public void TheUnetLearnsToo()
    {
        var model = Denoiser.Create(TinyDiffusion.Config with { Architecture = DitConfig.Unet, HiddenSize = 8, Layers = 2 });
        model.Initialize(new Tensors.Rng(1));
        var losses = new List<double>();
        var trainer = new DiffusionPretrainer(model, ShapesDataset.Generate(1, 256, TinyDiffusion.Size), new DiffusionPretrainOptions { Steps = 40, BatchSize = 16, LearningRate = 3e-3f })
        {
            StepCompleted = (_, loss) => losses.Add(loss),
        };
        trainer.Train();
        Assert.True(losses.TakeLast(10).Average() < 0.8 * losses.Take(10).Average(), $"loss {losses.Take(10).Average():F3} -> {losses.TakeLast(10).Average():F3}");
    }

    [Fact]
    public void TheAveragedWeightsFollowTheWarmedUpMovingAverage()
    {
        var model = TinyDiffusion.Model();
        var trainer = new DiffusionPretrainer(model, ShapesDataset.Generate(1, 64, TinyDiffusion.Size), new DiffusionPretrainOptions { Steps = 3, BatchSize = 8, EmaDecay = 0.5f });
        Assert.NotSame(model, trainer.Averaged);
        var name = model.NamedParameters.Keys.First();
        var expected = model.NamedParameters[name].ToArray();
        for (int n = 0; n < 3; n++)
        {
            trainer.Step();
            float d = Math.Min(0.5f, (1f + n) / (10f + n)); // 0.1, 0.18, 0.25: the warm-up holds the decay below 0.5 here
            var current = model.NamedParameters[name].ToArray();
            for (int i = 0; i < expected.Length; i++) expected[i] = d * expected[i] + (1 - d) * current[i];
        }
        Assert.Equal(expected, trainer.Averaged.NamedParameters[name].ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
        Assert.NotEqual(model.NamedParameters[name].ToArray(), trainer.Averaged.NamedParameters[name].ToArray());
        Assert.Same(model, new DiffusionPretrainer(model, ShapesDataset.Generate(1, 8, TinyDiffusion.Size), new DiffusionPretrainOptions()).Averaged);
    }

    [Fact]
    public void ShareWithCopiesTheBudgetAndKeepsTheMethodsOwnSettings()
    {
        var rebel = Rebel(7) with { SamplesPerPrompt = 3, Schedule = Tensors.Optim.LrScheduleKind.Linear, StatBufferSize = 5, CheckpointEvery = 2 };
        var ddpo = rebel.ShareWith(new DdpoOptions { ClipRange = 0.2f, Epochs = 3 });
        Assert.Equal((7, 8, 3, Sampler, 5, 2, 5UL), (ddpo.Iterations, ddpo.PromptsPerIteration, ddpo.SamplesPerPrompt, ddpo.Sampler, ddpo.StatBufferSize, ddpo.CheckpointEvery, ddpo.Seed));
        Assert.Equal(Tensors.Optim.LrScheduleKind.Linear, ddpo.Schedule);
        Assert.Equal((0.2f, 3, new DdpoOptions().MiniBatchSize, new DdpoOptions().LearningRate), (ddpo.ClipRange, ddpo.Epochs, ddpo.MiniBatchSize, ddpo.LearningRate));
    }

    [Fact]
    public void OptionsRejectASamplerOfOneStep()
    {
        var e = Assert.Throws<ArgumentException>(() => (Rebel(1) with { Sampler = new DdimOptions { Steps = 1 } }).Validate());
        Assert.Contains("two steps", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PerPromptStatisticsUseThePromptsHistoryOnceItIsLongEnough()
    {
        var tracker = new PromptStatTracker(bufferSize: 4, minCount: 2);
        var first = tracker.Standardize(["a", "b"], [1f, 3f]); // one reward each: batch mean 2, std 1
        Assert.Equal(-1f, first[0], 1e-4f);
        Assert.Equal(1f, first[1], 1e-4f);
        var second = tracker.Standardize(["a", "a"], [2f, 3f]); // a's history 1, 2, 3: mean 2, std √(2/3)
        Assert.Equal(0f, second[0], 1e-4f);
        Assert.Equal((float)(1 / Math.Sqrt(2.0 / 3)), second[1], 1e-3f);
    }
}
