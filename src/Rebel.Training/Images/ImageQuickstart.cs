// `rebel image quickstart`: REBEL on a diffusion model end to end with no downloads. Generate the shapes set, train the
// shape classifier behind the prompt-alignment reward, an independent judge of another architecture and a feature network
// for the Fréchet distance (neither ever queried by training), pretrain a small diffusion model (a U-Net by default, or a DiT), fine-tune it with REBEL (or DDPO) against
// (log) prompt alignment with a KL penalty towards the pretrained sampler, and measure on held-out seeds, before and after:
// alignment by the reward's classifier and by the judge, Fréchet distance to real images and high-frequency energy ratio.
// Writes summary.json, PNG grids and report.html.
using System.Diagnostics;
using System.Globalization;
using Rebel.Models.Diffusion;
using Rebel.Tensors;
using Rebel.Training.Images.Data;
using Rebel.Training.Images.Quality;
using Rebel.Training.Images.Rewards;
using Rebel.Training.Images.Training;
using Rebel.Training.Tasks;

namespace Rebel.Training.Images;

/// <summary>Numbers written to summary.json (alignment in percent of held-out samples).</summary>
public sealed record ImageQuickstartSummary(double RewardBefore, double RewardAfter, double Seconds, double PretrainSeconds, double RebelSeconds,
    int PretrainSteps, double ClassifierAccuracy, long Parameters, int HeldOut, ulong Seed)
{
    /// <summary>Held-out shares read right per attribute before REBEL.</summary>
    public AttributeAccuracy? AttributesBefore { get; init; }

    /// <summary>Held-out shares read right per attribute after REBEL.</summary>
    public AttributeAccuracy? AttributesAfter { get; init; }

    /// <summary>Held-out alignment before fine-tuning (%) as read by the independent judge, which no training step saw.</summary>
    public double JudgeBefore { get; init; }

    /// <summary>Held-out alignment after fine-tuning (%) as read by the independent judge.</summary>
    public double JudgeAfter { get; init; }

    /// <summary>The judge's accuracy on fresh real images (0..1).</summary>
    public double JudgeAccuracy { get; init; }

    /// <summary>Quality of the held-out samples before fine-tuning.</summary>
    public ImageQuality? QualityBefore { get; init; }

    /// <summary>Quality of the held-out samples after fine-tuning.</summary>
    public ImageQuality? QualityAfter { get; init; }

    /// <summary>The same measures on as many fresh real images: the floor the Fréchet distance can reach at this sample size.</summary>
    public ImageQuality? QualityReal { get; init; }

    /// <summary>Probability that a word of a pretraining caption named another value than the image showed; null when a pretrained model was given.</summary>
    public double? CaptionNoise { get; init; }

    /// <summary>The caption words that noise applied to (<see cref="ShapesDataset.ResolveCaptionWords"/>); null when a pretrained model was given.</summary>
    public IReadOnlyList<string>? CaptionNoiseWords { get; init; }

    /// <summary>β of the KL penalty in force.</summary>
    public double KlCoef { get; init; }

    /// <summary>β_L of the KL loss term in force.</summary>
    public double KlLossCoef { get; init; }
}

/// <summary>Runs the image quickstart pipeline.</summary>
public static partial class ImageQuickstart
{
    private const ulong ValidationSeeds = 1_000_000, HeldOutSeeds = 2_000_000, JudgeSeed = 3_000_000, FeatureSeed = 4_000_000, RealSeed = 5_000_000;

    /// <summary>Added to the seed for the draws of the pretraining captions' noise.</summary>
    public const ulong CaptionSeed = 6_000_000;

    /// <summary>Runs everything and writes the outputs to <see cref="ImageQuickstartOptions.OutputDirectory"/>.</summary>
    public static ImageQuickstartSummary Run(ImageQuickstartOptions o, IQuickstartProgress progress, CancellationToken cancel = default)
    {
        if (o.Algorithm is not ("rebel" or "ddpo")) throw new ArgumentException($"image quickstart: unknown algorithm '{o.Algorithm}'; expected rebel or ddpo.");
        if (o.JudgeSteps < 1) throw new ArgumentException($"image quickstart: --judge-steps {o.JudgeSteps} must be at least 1.");
        ShapesDataset.WithCaptionNoise([], o.CaptionNoise, o.Seed, [.. o.CaptionNoiseWords]); // a bad probability or word fails now, not after the classifiers
        var total = Stopwatch.StartNew();
        string dir = o.OutputDirectory;
        Directory.CreateDirectory(dir);
        int size = o.ImageSize;
        var data = ShapesDataset.Generate(o.Seed, o.TrainImages, size);
        var captions = ShapeAttributes.All.Select(a => a.Caption).ToList();
        var noiseWords = ShapesDataset.ResolveCaptionWords(o.CaptionNoiseWords);
        string noise = o.PretrainedModel is null ? $"; {o.CaptionNoise:P0} of the pretraining captions' {Words(noiseWords)} words name another value" : "";
        progress.Message($"Data: {data.Count} images of {size}×{size} pixels, {captions.Count} captions (seed {o.Seed}){noise}.");

        var model = o.PretrainedModel is null ? Denoiser.Create(o.Model with { ImageSize = size }) : DitFolder.Load(o.PretrainedModel);
        if (model.Config.ImageSize != size) throw new ArgumentException($"image quickstart: the model in '{o.PretrainedModel}' makes {model.Config.ImageSize}×{model.Config.ImageSize} images, not {size}×{size}.");
        if (o.PretrainedModel is null) model.Initialize(new Rng(o.Seed));
        if (!o.Device.IsHost) model.ToDevice(o.Device);
        ImagePolicyTrainer.TrainableParameters(model, o.Rebel.TrainableParameters); // a pattern that matches nothing fails now, not after pretraining

        progress.Phase("classifier", 1);
        var classifier = ShapeClassifier.Train(data, size, o.Seed, o.ClassifierSteps);
        var check = ShapesDataset.Generate(o.Seed + 7919, 500, size);
        double classifierAccuracy = classifier.Accuracy([.. check.Select(i => i.Pixels)], [.. check.Select(i => i.Attributes)]);
        classifier.Save(Path.Combine(dir, "classifier.safetensors"));
        var reward = new PromptAlignmentReward(classifier);
        var trainingReward = ImageRewardSpec.Parse(o.Reward, classifier);
        // A second opinion on the held-out samples: a classifier of another architecture, from other images and another seed,
        // trained with the same augmentation, which fine-tuning never queries; a gain that only fools the reward's own
        // classifier shows up as a gap between the two.
        var judgeClassifier = ShapeClassifier.Train(ShapesDataset.Generate(o.Seed + JudgeSeed, o.TrainImages, size), size, o.Seed + JudgeSeed, o.JudgeSteps, o.Judge);
        var judge = new PromptAlignmentReward(judgeClassifier);
        double judgeAccuracy = judgeClassifier.Accuracy([.. check.Select(i => i.Pixels)], [.. check.Select(i => i.Attributes)]);
        // The Fréchet distance reads features of a network that saw only clean real images and is never a reward.
        var featureNetwork = ShapeClassifier.Train(ShapesDataset.Generate(o.Seed + FeatureSeed, o.TrainImages, size), size, o.Seed + FeatureSeed, o.ClassifierSteps, o.FeatureNetwork);
        var quality = new ImageQualityMeter(featureNetwork, [.. ShapesDataset.Generate(o.Seed + RealSeed, o.RealImages, size).Select(i => i.Pixels)], size);
        progress.Step(1, $"reward classifier {classifierAccuracy:P1}, judge {judgeAccuracy:P1} on fresh images");

        progress.Message($"Model: {model.Config.Architecture} with {model.ParameterCount:N0} parameters; shape classifier reads {classifierAccuracy:P1} of fresh real images right.");
        var sampler = o.Rebel.Sampler;
        var (valCaptions, valSeeds) = ImageSampling.Grid(captions, o.ValidationPerCaption, ValidationSeeds);

        var pretrainClock = Stopwatch.StartNew();
        progress.Phase("pretrain", o.Pretrain.Steps);
        double validation = 0;
        ImageQuality? validationQuality = null; // until the first validation (every ValidateEvery steps)
        string Validated(string format, string none) => validationQuality is { } q
            ? string.Format(CultureInfo.InvariantCulture, format, validation, q.FrechetDistance, q.HighFrequencyRatio)
            : none;
        var pretrainer = new DiffusionPretrainer(model, ShapesDataset.WithCaptionNoise(data, o.CaptionNoise, o.Seed + CaptionSeed, [.. o.CaptionNoiseWords]), o.Pretrain with { Seed = o.Seed })
        {
            StepCompleted = (step, loss) => progress.Step(step, $"loss {loss:F3} {Validated("alignment {0:P0} Fréchet {1:F2} HF {2:F2}", $"(first validation at step {o.ValidateEvery})")}"),
        };
        // Pretrain unless a model was given; stop early only once both targets (alignment, Fréchet distance) are met.
        if (o.PretrainedModel is null) pretrainer.Train(cancel, step =>
        {
            if (step % o.ValidateEvery != 0) return false;
            var images = ImageSampling.Sample(pretrainer.Averaged, sampler, valCaptions, valSeeds);
            validation = reward.Accuracy(images, valCaptions, size);
            var measured = quality.Measure(images);
            validationQuality = measured;
            return validation >= o.PretrainTargetAlignment && measured.FrechetDistance <= o.PretrainTargetFrechet;
        });
        double pretrainSeconds = pretrainClock.Elapsed.TotalSeconds;
        model = pretrainer.Averaged; // the moving average of the weights when one is kept: what validation sampled, and the policy from here on
        DitFolder.Save(model, Path.Combine(dir, "pretrained"));
        if (o.PretrainedModel is not null) progress.Message($"Fine-tuning {o.PretrainedModel} (no pretraining).");
        else progress.Message($"Pretraining stopped after {pretrainer.StepsTaken} steps {Validated("(validation alignment {0:P1}, Fréchet distance {1:F2})", $"(before the first validation, at step {o.ValidateEvery})")}.");

        var (heldCaptions, heldSeeds) = ImageSampling.Grid(captions, o.HeldOutPerCaption, HeldOutSeeds);
        progress.Phase("eval", 1);
        var before = ImageSampling.Sample(model, sampler, heldCaptions, heldSeeds);
        double alignBefore = reward.Accuracy(before, heldCaptions, size);
        progress.Step(1, $"alignment {alignBefore:P1}");

        var rebelClock = Stopwatch.StartNew();
        progress.Phase(o.Algorithm, o.Rebel.Iterations);
        var settings = o.Rebel with { Seed = o.Seed, KlCoefficient = o.KlCoef, KlLossCoefficient = o.KlLossCoef };
        ImagePolicyTrainer trainer = o.Algorithm == "ddpo"
            ? new DdpoTrainer(model, captions, trainingReward, settings.ShareWith(new DdpoOptions { LearningRate = settings.LearningRate, MiniBatchSize = 2 * settings.MiniBatchSize }), dir)
            : new ImageRebelTrainer(model, captions, trainingReward, settings, dir);
        trainer.IterationCompleted = r => progress.Step(r.Iteration, $"reward {r.Metrics["objective/scores"]:F3} KL {r.Metrics.GetValueOrDefault("objective/kl"):F4}");
        trainer.Train(cancel);
        double rebelSeconds = rebelClock.Elapsed.TotalSeconds;
        DitFolder.Save(model, Path.Combine(dir, "rebel"));

        progress.Phase("eval", 1);
        var after = ImageSampling.Sample(model, sampler, heldCaptions, heldSeeds);
        double alignAfter = reward.Accuracy(after, heldCaptions, size);
        progress.Step(1, $"alignment {alignAfter:P1}");

        var summary = new ImageQuickstartSummary(100 * alignBefore, 100 * alignAfter, total.Elapsed.TotalSeconds, pretrainSeconds, rebelSeconds,
            pretrainer.StepsTaken, classifierAccuracy, model.ParameterCount, heldCaptions.Count, o.Seed)
        {
            AttributesBefore = reward.Attributes(before, heldCaptions, size), AttributesAfter = reward.Attributes(after, heldCaptions, size),
            JudgeBefore = 100 * judge.Accuracy(before, heldCaptions, size), JudgeAfter = 100 * judge.Accuracy(after, heldCaptions, size),
            JudgeAccuracy = judgeAccuracy, QualityBefore = quality.Measure(before), QualityAfter = quality.Measure(after),
            QualityReal = quality.Measure([.. ShapesDataset.Generate(o.Seed + HeldOutSeeds, heldCaptions.Count, size).Select(i => i.Pixels)]), KlCoef = o.KlCoef, KlLossCoef = o.KlLossCoef,
            CaptionNoise = o.PretrainedModel is null ? o.CaptionNoise : null, CaptionNoiseWords = o.PretrainedModel is null ? noiseWords : null,
        };
        WriteOutputs(o, summary, trainer.Metrics, heldCaptions, before, after);
        return summary;
    }

    /// <summary>"colour", "colour and shape", or "colour, shape and background".</summary>
    internal static string Words(IReadOnlyList<string> words) =>
        words.Count == 1 ? words[0] : string.Join(", ", words.Take(words.Count - 1)) + " and " + words[^1];
}
