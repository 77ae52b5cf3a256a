// `rebel image train`: fine-tune a DiT folder with REBEL or DDPO against an image reward, with resumable checkpoints; the
// training flags are generated from the methods' options records (OptionFlags), as `rebel train`'s are.
using System.CommandLine;
using Rebel.Models.Diffusion;
using Rebel.Training.Images;
using Rebel.Training.Images.Data;
using Rebel.Training.Images.Quality;
using Rebel.Training.Images.Rewards;
using Rebel.Training.Images.Training;
using Rebel.Training.Reporting;
using Spectre.Console;

namespace Rebel.Cli.Commands;

/// <summary>Builds `rebel image train`.</summary>
internal static class ImageTrainCommand
{
    // The image methods: name, record of defaults (its properties are the flags) and trainer.
    internal static readonly (string Name, ImageRlOptions Defaults, Func<IDenoiser, IReadOnlyList<string>, IImageReward, ImageRlOptions, string, ImagePolicyTrainer> Create)[] Methods =
    [
        ("rebel", new ImageRebelOptions(), (m, c, r, o, dir) => new ImageRebelTrainer(m, c, r, (ImageRebelOptions)o, dir)),
        ("ddpo", new DdpoOptions(), (m, c, r, o, dir) => new DdpoTrainer(m, c, r, (DdpoOptions)o, dir)),
    ];

    /// <summary>
    /// `rebel image train`; with <paramref name="only"/> (a method's name, for `rebel image train --algo NAME --help`) its flags are that
    /// method's alone, with that method's defaults.
    /// </summary>
    public static Command Create(string? only = null)
    {
        var modelOption = new Option<string>("--model") { Description = "DiT folder (from rebel image pretrain).", Required = true };
        var algoOption = new Option<string>("--algo") { Description = "rebel or ddpo.", DefaultValueFactory = _ => "rebel" };
        algoOption.AcceptOnlyFromAmong([.. Methods.Select(m => m.Name)]);
        var rewardOption = new Option<string>("--reward") { Description = ImageRewardSpec.Forms, DefaultValueFactory = _ => "alignment" };
        var classifierOption = new Option<string?>("--classifier") { Description = "Shape classifier file for the alignment reward (default: train one on the built-in set)." };
        var outOption = CommonFlags.Out(Path.Combine("runs", "image-train"));
        var resumeOption = new Option<string?>("--resume") { Description = "Checkpoint folder to continue from." };
        var shown = Methods.Any(m => m.Name == only) ? Methods.Where(m => m.Name == only) : Methods;
        var flags = new OptionFlags([.. shown.Select(m => (m.Name, (object)m.Defaults))]);
        var device = CommonFlags.Device();
        var cmd = new Command("train", "Fine-tune a DiT with REBEL or DDPO against an image reward; writes metrics.jsonl, report.html, checkpoint/ and model/ (policy/: a link to it, the former name).")
        {
            modelOption, algoOption, rewardOption, classifierOption, outOption, resumeOption, CommonFlags.Config(), device,
        };
        foreach (var f in flags.All) cmd.Options.Add(f);
        cmd.SetGuardedAction(parse =>
        {
            var method = Methods.First(m => m.Name == parse.GetValue(algoOption));
            if (flags.Misplaced(parse, method.Defaults.GetType(), method.Name) is { } misplaced) throw new ArgumentException(misplaced);
            var options = flags.Read(parse, method.Defaults);
            var opened = CommonFlags.OpenDevice(parse, device);
            var model = DitFolder.Load(parse.GetValue(modelOption)!);
            if (!opened.IsHost) model.ToDevice(opened);
            int size = model.Config.ImageSize;
            string spec = parse.GetValue(rewardOption)!, dir = parse.GetValue(outOption)!;
            ShapeClassifier? classifier = null;
            if (spec is "alignment" or "log-alignment")
                classifier = parse.GetValue(classifierOption) is { } file ? ShapeClassifier.Load(file)
                    : ShapeClassifier.Train(ShapesDataset.Generate(options.Seed, 8192, size), size, options.Seed, new ImageQuickstartOptions().ClassifierSteps);
            var reward = ImageRewardSpec.Parse(spec, classifier);
            try
            {
                var captions = ShapeAttributes.All.Select(a => a.Caption).ToList();
                var trainer = method.Create(model, captions, reward, options, dir);
                // "Before" is the model as given, also when resuming (the checkpoint holds the fine-tuned weights).
                var (gridCaptions, gridSeeds) = ImageSampling.Grid([.. captions.Where((_, i) => i % 3 == 0)], 8, 2_000_000);
                var before = ImageSampling.Sample(model, options.Sampler, gridCaptions, gridSeeds);
                if (parse.GetValue(resumeOption) is { } resume) trainer.LoadCheckpoint(resume);
                ProgressDisplay.Run(progress =>
                {
                    progress.Phase(method.Name, options.Iterations);
                    trainer.IterationCompleted = it => progress.Step(it.Iteration, $"{reward.Name} {it.Metrics["objective/scores"]:F4}");
                    trainer.Train();
                    return 0;
                });
                DitFolder.Save(model, Path.Combine(dir, CommonFlags.ModelFolderName));
                CommonFlags.LinkFormerName(dir, "policy");
                var after = ImageSampling.Sample(model, options.Sampler, gridCaptions, gridSeeds);
                HtmlReport.Write(Path.Combine(dir, "report.html"), $"rebel image train: {method.Name} on {reward.Name}",
                    [("Reward", reward.Name), ("Iterations", $"{trainer.Iteration}"), ("First iteration mean reward", Row(trainer, 0)), ("Last iteration mean reward", Row(trainer, -1))],
                    trainer.Metrics.Rows, ["objective/scores", "loss/policy_avg", "grad_norm"], [],
                    [("Before", ImageSampling.GridPng(before, size, 8)), ("After", ImageSampling.GridPng(after, size, 8))], "Samples before and after (same seeds)");
                Terminal.Out.WriteLine($"Wrote {Path.GetFullPath(dir)} (metrics.jsonl, report.html, checkpoint/, model/).");
                return 0;
            }
            finally
            {
                (reward as IDisposable)?.Dispose();
            }
        });
        return cmd;
    }

    private static string Row(ImagePolicyTrainer trainer, int index)
    {
        var rows = trainer.Metrics.Rows;
        if (rows.Count == 0) return "-";
        return rows[index < 0 ? rows.Count + index : index]["objective/scores"].ToString("G4", System.Globalization.CultureInfo.InvariantCulture);
    }
}
