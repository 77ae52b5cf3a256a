// `rebel image quickstart`: REBEL on a diffusion model end to end with no downloads. Generate the shapes set, train the
// shape classifier behind the prompt-alignment reward, pretrain a small DiT on noise prediction (stopped while its
// samples match their captions only partly), then fine-tune it with REBEL against (log) prompt alignment, and measure the
// share of held-out samples the classifier reads as their caption (and each attribute) before and after. Writes summary.json, PNG grids and report.html.
using System.Diagnostics;
using System.Text.Json.Nodes;
using Rebel.Models.Diffusion;
using Rebel.Models.IO;
using Rebel.Tensors;
using Rebel.Training.Reporting;
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

    /// <summary>Held-out alignment before fine-tuning (%) as read by the independent judge classifier, which no training step saw.</summary>
    public double JudgeBefore { get; init; }

    /// <summary>Held-out alignment after fine-tuning (%) as read by the independent judge classifier.</summary>
    public double JudgeAfter { get; init; }
}

/// <summary>Runs the image quickstart pipeline.</summary>
public static class ImageQuickstart
{
    private const ulong ValidationSeeds = 1_000_000, HeldOutSeeds = 2_000_000, JudgeSeed = 3_000_000;

    /// <summary>Runs everything and writes the outputs to <see cref="ImageQuickstartOptions.OutputDirectory"/>.</summary>
    public static ImageQuickstartSummary Run(ImageQuickstartOptions o, IQuickstartProgress progress, CancellationToken cancel = default)
    {
        if (o.Algorithm is not ("rebel" or "ddpo")) throw new ArgumentException($"image quickstart: unknown algorithm '{o.Algorithm}'; expected rebel or ddpo.");
        var total = Stopwatch.StartNew();
        string dir = o.OutputDirectory;
        Directory.CreateDirectory(dir);
        int size = o.ImageSize;
        var data = ShapesDataset.Generate(o.Seed, o.TrainImages, size);
        var captions = ShapeAttributes.All.Select(a => a.Caption).ToList();
        progress.Message($"Data: {data.Count} images of {size}×{size} pixels, {captions.Count} captions (seed {o.Seed}).");

        progress.Phase("classifier", 1);
        var classifier = ShapeClassifier.Train(data, size, o.Seed, o.ClassifierSteps);
        var check = ShapesDataset.Generate(o.Seed + 7919, 500, size);
        double classifierAccuracy = classifier.Accuracy([.. check.Select(i => i.Pixels)], [.. check.Select(i => i.Attributes)]);
        classifier.Save(Path.Combine(dir, "classifier.safetensors"));
        progress.Step(1, $"accuracy {classifierAccuracy:P1} on fresh images");
        var reward = new PromptAlignmentReward(classifier);
        var trainingReward = ImageRewardSpec.Parse(o.Reward, classifier);
        // A second opinion on the held-out samples: a classifier from other images and another seed, which fine-tuning never queries,
        // so a gain that only fools the reward's own classifier would show up as a gap between the two.
        var judge = new PromptAlignmentReward(ShapeClassifier.Train(ShapesDataset.Generate(o.Seed + JudgeSeed, o.TrainImages, size), size, o.Seed + JudgeSeed, o.ClassifierSteps));

        var model = new DitModel(o.Model with { ImageSize = size });
        model.Initialize(new Rng(o.Seed));
        progress.Message($"Model: DiT with {model.ParameterCount:N0} parameters; shape classifier reads {classifierAccuracy:P1} of fresh real images right.");
        var sampler = o.Rebel.Sampler;
        var (valCaptions, valSeeds) = ImageSampling.Grid(captions, o.ValidationPerCaption, ValidationSeeds);
        double Alignment(IReadOnlyList<string> c, IReadOnlyList<ulong> s) => reward.Accuracy(ImageSampling.Sample(model, sampler, c, s), c, size);

        var pretrainClock = Stopwatch.StartNew();
        progress.Phase("pretrain", o.Pretrain.Steps);
        double validation = 0;
        var pretrainer = new DiffusionPretrainer(model, data, o.Pretrain with { Seed = o.Seed })
        {
            StepCompleted = (step, loss) => progress.Step(step, $"loss {loss:F3} alignment {validation:P0}"),
        };
        // "Partly right": stop once validation alignment reaches the target, so REBEL has room to improve.
        pretrainer.Train(cancel, step =>
        {
            if (step % o.ValidateEvery != 0) return false;
            validation = Alignment(valCaptions, valSeeds);
            return validation >= o.PretrainTargetAlignment;
        });
        double pretrainSeconds = pretrainClock.Elapsed.TotalSeconds;
        DitFolder.Save(model, Path.Combine(dir, "pretrained"));
        progress.Message($"Pretraining stopped after {pretrainer.StepsTaken} steps (validation alignment {validation:P1}).");

        var (heldCaptions, heldSeeds) = ImageSampling.Grid(captions, o.HeldOutPerCaption, HeldOutSeeds);
        progress.Phase("eval", 1);
        var before = ImageSampling.Sample(model, sampler, heldCaptions, heldSeeds);
        double alignBefore = reward.Accuracy(before, heldCaptions, size);
        progress.Step(1, $"alignment {alignBefore:P1}");

        var rebelClock = Stopwatch.StartNew();
        progress.Phase(o.Algorithm, o.Rebel.Iterations);
        var settings = o.Rebel with { Seed = o.Seed };
        ImagePolicyTrainer trainer = o.Algorithm == "ddpo"
            ? new DdpoTrainer(model, captions, trainingReward, settings.ShareWith(new DdpoOptions()), dir)
            : new ImageRebelTrainer(model, captions, trainingReward, settings, dir);
        trainer.IterationCompleted = r => progress.Step(r.Iteration, $"reward {r.Metrics["objective/scores"]:F3}");
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
        };
        WriteOutputs(o, summary, trainer.Metrics, heldCaptions, before, after);
        return summary;
    }

    // The before/after grids (every third caption, one row each, all its held-out seeds), summary.json and report.html.
    private static void WriteOutputs(ImageQuickstartOptions o, ImageQuickstartSummary s, MetricsLog metrics, List<string> captions,
        List<float[]> before, List<float[]> after)
    {
        int per = o.HeldOutPerCaption;
        var rows = Enumerable.Range(0, captions.Count / per).Where(r => r % 3 == 0).ToList();
        byte[] Grid(List<float[]> images) => ImageSampling.GridPng([.. rows.SelectMany(r => images.Skip(r * per).Take(per))], o.ImageSize, per);
        byte[] beforePng = Grid(before), afterPng = Grid(after);
        AtomicFile.Write(Path.Combine(o.OutputDirectory, "samples_before.png"), stream => stream.Write(beforePng));
        AtomicFile.Write(Path.Combine(o.OutputDirectory, "samples_after.png"), stream => stream.Write(afterPng));
        var json = new JsonObject
        {
            ["reward_before"] = s.RewardBefore,
            ["reward_after"] = s.RewardAfter,
            ["seconds"] = s.Seconds,
            ["pretrain_seconds"] = s.PretrainSeconds,
            ["rebel_seconds"] = s.RebelSeconds,
            ["pretrain_steps"] = s.PretrainSteps,
            ["classifier_accuracy"] = s.ClassifierAccuracy,
            ["parameters"] = s.Parameters,
            ["held_out"] = s.HeldOut,
            ["seed"] = s.Seed,
            ["algorithm"] = o.Algorithm,
            ["attributes_before"] = Attributes(s.AttributesBefore),
            ["attributes_after"] = Attributes(s.AttributesAfter),
            ["judge_before"] = s.JudgeBefore,
            ["judge_after"] = s.JudgeAfter,
        };
        AtomicFile.WriteText(Path.Combine(o.OutputDirectory, "summary.json"), json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        string rowCaptions = string.Join("; ", rows.Select(r => captions[r * per]));
        HtmlReport.Write(Path.Combine(o.OutputDirectory, "report.html"), "rebel image quickstart: shapes, REBEL on prompt alignment",
            [("Prompt alignment before (held-out seeds)", $"{s.RewardBefore:F1} %"), ("Prompt alignment after REBEL", $"{s.RewardAfter:F1} %"),
             ("Pretraining steps", $"{s.PretrainSteps}"), ("Classifier accuracy on real images", $"{s.ClassifierAccuracy:P1}"),
             ("Shape / colour / background read right before", Percentages(s.AttributesBefore)), ("After", Percentages(s.AttributesAfter)),
             ("Alignment by an independent judge classifier, before → after", $"{s.JudgeBefore:F1} → {s.JudgeAfter:F1} %"),
             ("Parameters", $"{s.Parameters:N0}"), ("Seconds", $"{s.Seconds:F0}"), ("Grid rows (same seeds before and after)", rowCaptions)],
            metrics.Rows, ["objective/scores", "loss/policy_avg", "rebel/residual_abs", "grad_norm"], [],
            [("Before REBEL", beforePng), ("After REBEL", afterPng)], "Held-out samples before and after");
    }

    private static JsonObject? Attributes(AttributeAccuracy? a) =>
        a is null ? null : new JsonObject { ["shape"] = 100 * a.Shape, ["color"] = 100 * a.Color, ["background"] = 100 * a.Background };

    private static string Percentages(AttributeAccuracy? a) => a is null ? "" : $"{100 * a.Shape:F1} / {100 * a.Color:F1} / {100 * a.Background:F1} %";
}
