using System.Text.Json.Nodes;
using Rebel.Models.Diffusion;
using Rebel.Training.Images;
using Rebel.Training.Images.Data;
using Rebel.Training.Images.Training;
using Rebel.Training.Tasks;

namespace Rebel.Training.Tests.Images;

[Collection("Console")]
public class ImageCliTests
{
    [Fact]
    public void PretrainTrainBothAlgorithmsAndSampleWritePngsThatDecode()
    {
        var dir = Directory.CreateTempSubdirectory("rebel-image-cli").FullName;
        try
        {
            string model = Path.Combine(dir, "model");
            var pre = CliHarness.Run("image", "pretrain", "--size", "8", "--architecture", "unet", "--width", "4", "--layers", "2",
                "--steps", "3", "--images", "64", "--out", model);
            Assert.True(pre.Code == 0, pre.Err);
            Assert.IsType<UnetModel>(DitFolder.Load(model));
            Assert.Equal(8, DitFolder.Load(model).Config.ImageSize);
            Assert.Equal(DitConfig.ScaleShiftConditioning, DitFolder.Load(model).Config.UnetConditioning); // the quickstart's default form
            foreach (var algo in new[] { "rebel", "ddpo" })
            {
                string run = Path.Combine(dir, algo);
                var train = CliHarness.Run("image", "train", "--model", model, "--algo", algo, "--reward", "compressibility", "--iterations", "2",
                    "--prompts-per-iteration", "2", "--steps", "3", "--out", run);
                Assert.True(train.Code == 0, train.Err);
                Assert.Equal(2, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Length);
                Assert.Contains("data:image/png;base64,", File.ReadAllText(Path.Combine(run, "report.html")), StringComparison.Ordinal);
                Assert.True(File.Exists(Path.Combine(run, "checkpoint", "policy.safetensors")));
            }
            string png = Path.Combine(dir, "grid.png");
            var sample = CliHarness.Run("image", "sample", "--model", Path.Combine(dir, "rebel", "policy"), "--prompt", "red circle on blue", "--num", "3", "--steps", "3", "--out", png);
            Assert.True(sample.Code == 0, sample.Err);
            var (w, h, rgb) = Png.Decode(File.ReadAllBytes(png));
            Assert.Equal((3 * 8 + 4, 8 + 2), (w, h));
            Assert.Equal(3 * w * h, rgb.Length);
            var bad = CliHarness.Run("image", "sample", "--model", model, "--prompt", "purple circle on blue", "--out", png);
            Assert.Equal(1, bad.Code);
            Assert.Contains("purple", bad.Err, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void PretrainLearnsFromNoisyCaptionsWhenAskedAndRejectsAnUnknownWord()
    {
        var dir = Directory.CreateTempSubdirectory("rebel-image-noise").FullName;
        try
        {
            float[] Weights(string name, params string[] extra)
            {
                string model = Path.Combine(dir, name);
                var run = CliHarness.Run(["image", "pretrain", "--size", "8", "--architecture", "unet", "--width", "4", "--layers", "2", "--steps", "3", "--images", "64", "--out", model, .. extra]);
                Assert.True(run.Code == 0, run.Err);
                return [.. DitFolder.Load(model).NamedParameters.Values.SelectMany(p => p.ToArray())];
            }
            var clean = Weights("clean");
            Assert.Equal(clean, Weights("zero", "--caption-noise", "0", "--caption-noise-words", "all"));
            Assert.NotEqual(clean, Weights("noisy", "--caption-noise", "0.5", "--caption-noise-words", "shape,colour"));
            var bad = CliHarness.Run("image", "pretrain", "--size", "8", "--steps", "1", "--caption-noise", "0.5", "--caption-noise-words", "size", "--out", Path.Combine(dir, "bad"));
            Assert.Equal(1, bad.Code);
            Assert.Contains("'size'", bad.Err, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed class Silent : IQuickstartProgress
    {
        public void Phase(string name, int steps)
        {
        }

        public void Step(int step, string status)
        {
        }

        public void Message(string text)
        {
        }
    }

    [Theory]
    [InlineData("rebel")]
    [InlineData("ddpo")]
    public void ShortQuickstartWritesSummaryGridsAndReport(string algorithm)
    {
        var dir = Directory.CreateTempSubdirectory("rebel-image-qs").FullName;
        try
        {
            var sampler = new DdimOptions { Steps = 3 };
            var o = new ImageQuickstartOptions
            {
                OutputDirectory = dir, ImageSize = 8, TrainImages = 128, Model = TinyDiffusion.Config, ClassifierSteps = 5, JudgeSteps = 5, RealImages = 50,
                Pretrain = new DiffusionPretrainOptions { Steps = 4, BatchSize = 16 }, ValidateEvery = 2, ValidationPerCaption = 1, HeldOutPerCaption = 2,
                Rebel = new ImageRebelOptions { Iterations = 2, PromptsPerIteration = 4, Sampler = sampler }, Algorithm = algorithm,
            };
            var s = ImageQuickstart.Run(o, new Silent());
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!.AsObject();
            foreach (var key in new[] { "reward_before", "reward_after", "seconds" }) Assert.NotNull(json[key]);
            Assert.Equal(s.RewardAfter, json["reward_after"]!.GetValue<double>());
            Assert.Equal(algorithm, json["algorithm"]!.GetValue<string>());
            Assert.InRange(json["judge_before"]!.GetValue<double>(), 0, 100);
            Assert.Equal(s.JudgeAfter, json["judge_after"]!.GetValue<double>());
            foreach (var key in new[] { "frechet_before", "frechet_after", "frechet_real", "hf_ratio_before", "hf_ratio_after" })
                Assert.True(json[key]!.GetValue<double>() >= 0, key);
            Assert.Equal(s.QualityAfter!.FrechetDistance, json["frechet_after"]!.GetValue<double>());
            Assert.Equal(2, File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Length);
            // The quickstart's default KL towards the pretrained sampler is the loss term, logged by either method.
            Assert.Equal(new ImageQuickstartOptions().KlLossCoef, json["kl_loss_coef"]!.GetValue<double>());
            Assert.Equal(0.4, json["caption_noise"]!.GetValue<double>());
            Assert.Equal("colour", json["caption_noise_words"]!.AsArray().Single()!.GetValue<string>());
            Assert.True(new ImageQuickstartOptions().KlLossCoef > 0);
            Assert.Contains("\"loss/kl_avg\"", File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"))[^1], StringComparison.Ordinal);
            Assert.InRange(s.RewardBefore, 0, 100);
            Assert.Equal(66, s.HeldOut);
            Assert.InRange(json["attributes_after"]!["shape"]!.GetValue<double>(), 0, 100);
            Assert.True(s.RewardBefore <= 100 * Math.Min(s.AttributesBefore!.Shape, Math.Min(s.AttributesBefore.Color, s.AttributesBefore.Background)) + 1e-9);
            foreach (var name in new[] { "samples_before.png", "samples_after.png" })
            {
                var (w, h, _) = Png.Decode(File.ReadAllBytes(Path.Combine(dir, name)));
                Assert.Equal((2 * 8 + 3, 11 * 8 + 12), (w, h)); // 11 rows (every third caption) × 2 seeds, 1-pixel padding
            }
            var (cw, ch, _) = Png.Decode(File.ReadAllBytes(Path.Combine(dir, "comparison.png")));
            Assert.Equal((4 * (2 * (2 * 8 + 3) + 8), 4 * (11 * 8 + 12)), (cw, ch)); // both grids at 4×, 8 pixels apart before scaling
            string html = File.ReadAllText(Path.Combine(dir, "report.html"));
            Assert.Equal(2 + 2 * 33, html.Split("data:image/png;base64,").Length - 1); // both grids, then before and after per caption
            Assert.Contains("image-rendering:pixelated", html, StringComparison.Ordinal);
            Assert.Contains("objective/kl", File.ReadAllText(Path.Combine(dir, "metrics.jsonl")), StringComparison.Ordinal);
            Assert.Contains("<svg", html, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(dir, "rebel", DitConfig.FileName)));
            Assert.Contains(algorithm == "ddpo" ? "policy/clipfrac_avg" : "rebel/residual_abs", File.ReadAllText(Path.Combine(dir, "metrics.jsonl")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void QuickstartRejectsJudgeStepsBelowOneBeforeAnyWork()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"rebel-image-qs-{Guid.NewGuid():N}");
        var e = Assert.Throws<ArgumentException>(() => ImageQuickstart.Run(new ImageQuickstartOptions { OutputDirectory = dir, JudgeSteps = 0 }, new Silent()));
        Assert.Contains("--judge-steps 0", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void QuickstartPretrainsOnTheNoisyCaptionsAndReportsNoneForAGivenModel()
    {
        var dir = Directory.CreateTempSubdirectory("rebel-image-qs-noise").FullName;
        try
        {
            ImageQuickstartOptions Options(string name) => new()
            {
                OutputDirectory = Path.Combine(dir, name), ImageSize = 8, TrainImages = 64, Model = TinyDiffusion.Config, ClassifierSteps = 2, JudgeSteps = 2, RealImages = 20,
                Pretrain = new DiffusionPretrainOptions { Steps = 3, BatchSize = 16 }, ValidateEvery = 100, ValidationPerCaption = 1, HeldOutPerCaption = 1,
                Rebel = new ImageRebelOptions { Iterations = 1, PromptsPerIteration = 2, Sampler = new DdimOptions { Steps = 2 } },
            };
            float[] Pretrained(string name) => [.. DitFolder.Load(Path.Combine(dir, name, "pretrained")).NamedParameters.Values.SelectMany(p => p.ToArray())];
            ImageQuickstart.Run(Options("clean") with { CaptionNoise = 0 }, new Silent());
            ImageQuickstart.Run(Options("noisy") with { CaptionNoise = 1, CaptionNoiseWords = [] }, new Silent());
            Assert.NotEqual(Pretrained("clean"), Pretrained("noisy")); // the same images, every caption renamed: other weights
            var noisy = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "noisy", "summary.json")))!;
            Assert.Equal(["colour", "shape", "background"], noisy["caption_noise_words"]!.AsArray().Select(w => w!.GetValue<string>()));
            var given = ImageQuickstart.Run(Options("given") with { PretrainedModel = Path.Combine(dir, "noisy", "pretrained") }, new Silent());
            Assert.Null(given.CaptionNoise); // no pretraining ran, so no caption noise is claimed
            Assert.Null(JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "given", "summary.json")))!["caption_noise"]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(1.5, "colour", "Caption noise 1.5 is not a probability")]
    [InlineData(0.4, "size", "unknown word 'size'")]
    public void QuickstartRejectsBadCaptionNoiseBeforeAnyWork(double noise, string word, string message)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"rebel-image-qs-{Guid.NewGuid():N}");
        var e = Assert.ThrowsAny<ArgumentException>(() => ImageQuickstart.Run(new ImageQuickstartOptions { OutputDirectory = dir, CaptionNoise = noise, CaptionNoiseWords = [word] }, new Silent()));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void QuickstartRejectsAnUnknownAlgorithmBeforeAnyWork()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"rebel-image-qs-{Guid.NewGuid():N}");
        var e = Assert.Throws<ArgumentException>(() => ImageQuickstart.Run(new ImageQuickstartOptions { OutputDirectory = dir, Algorithm = "sac" }, new Silent()));
        Assert.Contains("'sac'", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void QuickstartRejectsATrainablePatternThatMatchesNothingBeforeTrainingAnything()
    {
        var dir = Directory.CreateTempSubdirectory("rebel-image-qs").FullName;
        try
        {
            var options = new ImageQuickstartOptions { OutputDirectory = dir };
            var e = Assert.Throws<ArgumentException>(() => ImageQuickstart.Run(options with { Rebel = options.Rebel with { TrainableParameters = "no-such-layer" } }, new Silent()));
            Assert.Contains("'no-such-layer'", e.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(dir, "classifier.safetensors"))); // failed before the first classifier was trained
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
