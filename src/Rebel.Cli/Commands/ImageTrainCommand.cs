// `rebel image train`: fine-tune a DiT folder with REBEL or DDPO against an image reward, with resumable checkpoints.
using System.CommandLine;
using Spectre.Console;
using Rebel.Models.Diffusion;
using Rebel.Training.Images;
using Rebel.Training.Reporting;

namespace Rebel.Cli.Commands;

/// <summary>Builds `rebel image train`.</summary>
internal static class ImageTrainCommand
{
    public static Command Create()
    {
        var r = new ImageRebelOptions();
        var p = new DdpoOptions();
        var modelOption = new Option<string>("--model") { Description = "DiT folder (from rebel image pretrain).", Required = true };
        var algoOption = new Option<string>("--algo") { Description = "rebel or ddpo.", DefaultValueFactory = _ => "rebel" };
        algoOption.AcceptOnlyFromAmong("rebel", "ddpo");
        var rewardOption = new Option<string>("--reward") { Description = ImageRewardSpec.Forms, DefaultValueFactory = _ => "alignment" };
        var classifierOption = new Option<string?>("--classifier") { Description = "Shape classifier file for the alignment reward (default: train one on the built-in set)." };
        var outOption = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => Path.Combine("runs", "image-train") };
        var resumeOption = new Option<string?>("--resume") { Description = "Checkpoint folder to continue from." };
        var itersOption = new Option<int>("--iterations") { Description = "Iterations.", DefaultValueFactory = _ => r.Iterations };
        var promptsOption = new Option<int>("--prompts-per-iteration") { Description = "Captions per iteration.", DefaultValueFactory = _ => r.PromptsPerIteration };
        var samplesOption = new Option<int>("--samples-per-prompt") { Description = "Trajectories per caption (REBEL pairs best with worst beyond 2).", DefaultValueFactory = _ => r.SamplesPerPrompt };
        var stepsOption = new Option<int>("--steps") { Description = "DDIM steps of the policy.", DefaultValueFactory = _ => r.Sampler.Steps };
        var ddimEtaOption = new Option<float>("--ddim-eta") { Description = "DDIM noise η (> 0).", DefaultValueFactory = _ => r.Sampler.Eta };
        var etaOption = new Option<float>("--eta") { Description = "REBEL's η (step size).", DefaultValueFactory = _ => r.Eta };
        var clipOption = new Option<float>("--clip-range") { Description = "DDPO's per-step ratio clip.", DefaultValueFactory = _ => p.ClipRange };
        var epochsOption = new Option<int?>("--epochs") { Description = $"Epochs per iteration (default {r.Epochs})." };
        var minibatchOption = new Option<int?>("--minibatch") { Description = $"Pairs (REBEL, default {r.MiniBatchSize}) or images (DDPO, default {p.MiniBatchSize}) per optimizer step." };
        var lrOption = new Option<float>("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => r.LearningRate };
        var seedOption = new Option<ulong>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 1UL };
        var checkpointOption = new Option<int>("--checkpoint-every") { Description = "Checkpoint every N iterations (0 = at the end).", DefaultValueFactory = _ => 0 };
        var klOption = new Option<float>("--kl-coef")
        {
            Description = "β of the KL penalty towards the model as given (reward − β·Σ per-step KL of the Gaussian transitions, as DPOK). Default 0 (off); the quickstart uses 0.1.",
            DefaultValueFactory = _ => 0f,
        };
        var cmd = new Command("train", "Fine-tune a DiT with REBEL or DDPO against an image reward; writes metrics.jsonl, report.html, checkpoint/ and policy/.")
        {
            modelOption, algoOption, rewardOption, classifierOption, outOption, resumeOption, itersOption, promptsOption, samplesOption, stepsOption,
            ddimEtaOption, etaOption, clipOption, epochsOption, minibatchOption, lrOption, seedOption, checkpointOption, klOption,
        };
        cmd.SetGuardedAction(parse =>
        {
            var model = DitFolder.Load(parse.GetValue(modelOption)!);
            int size = model.Config.ImageSize;
            string spec = parse.GetValue(rewardOption)!, dir = parse.GetValue(outOption)!;
            ShapeClassifier? classifier = null;
            if (spec is "alignment" or "log-alignment")
                classifier = parse.GetValue(classifierOption) is { } file ? ShapeClassifier.Load(file)
                    : ShapeClassifier.Train(ShapesDataset.Generate(parse.GetValue(seedOption), 8192, size), size, parse.GetValue(seedOption), new ImageQuickstartOptions().ClassifierSteps);
            var reward = ImageRewardSpec.Parse(spec, classifier);
            try
            {
                var captions = ShapeAttributes.All.Select(a => a.Caption).ToList();
                var sampler = new DdimOptions { Steps = parse.GetValue(stepsOption), Eta = parse.GetValue(ddimEtaOption) };
                ImagePolicyTrainer trainer = parse.GetValue(algoOption) == "ddpo"
                    ? new DdpoTrainer(model, captions, reward, Shared(p, parse) with
                    {
                        ClipRange = parse.GetValue(clipOption), Epochs = parse.GetValue(epochsOption) ?? p.Epochs, MiniBatchSize = parse.GetValue(minibatchOption) ?? p.MiniBatchSize,
                    }, dir)
                    : new ImageRebelTrainer(model, captions, reward, Shared(r, parse) with
                    {
                        Eta = parse.GetValue(etaOption), Epochs = parse.GetValue(epochsOption) ?? r.Epochs, MiniBatchSize = parse.GetValue(minibatchOption) ?? r.MiniBatchSize,
                    }, dir);
                if (parse.GetValue(klOption) > 0) trainer.KlPenalty = new TransitionKl(model, parse.GetValue(klOption));
                // "Before" is the model as given, also when resuming (the checkpoint holds the fine-tuned weights).
                var (gridCaptions, gridSeeds) = ImageSampling.Grid([.. captions.Where((_, i) => i % 3 == 0)], 8, 2_000_000);
                var before = ImageSampling.Sample(model, sampler, gridCaptions, gridSeeds);
                if (parse.GetValue(resumeOption) is { } resume) trainer.LoadCheckpoint(resume);
                ProgressDisplay.Run(progress =>
                {
                    progress.Phase(parse.GetValue(algoOption)!, parse.GetValue(itersOption));
                    trainer.IterationCompleted = it => progress.Step(it.Iteration, $"{reward.Name} {it.Metrics["objective/scores"]:F4}");
                    trainer.Train();
                    return 0;
                });
                DitFolder.Save(model, Path.Combine(dir, "policy"));
                var after = ImageSampling.Sample(model, sampler, gridCaptions, gridSeeds);
                HtmlReport.Write(Path.Combine(dir, "report.html"), $"rebel image train: {parse.GetValue(algoOption)} on {reward.Name}",
                    [("Reward", reward.Name), ("Iterations", $"{trainer.Iteration}"), ("First iteration mean reward", Row(trainer, 0)), ("Last iteration mean reward", Row(trainer, -1))],
                    trainer.Metrics.Rows, ["objective/scores", "loss/policy_avg", "grad_norm"], [],
                    [("Before", ImageSampling.GridPng(before, size, 8)), ("After", ImageSampling.GridPng(after, size, 8))], "Samples before and after (same seeds)");
                Terminal.Out.WriteLine($"Wrote {Path.GetFullPath(dir)} (metrics.jsonl, report.html, checkpoint/, policy/).");
                return 0;
            }
            finally
            {
                (reward as IDisposable)?.Dispose();
            }
        });
        return cmd;

        T Shared<T>(T defaults, ParseResult parse) where T : ImageRlOptions => defaults with
        {
            Iterations = parse.GetValue(itersOption), PromptsPerIteration = parse.GetValue(promptsOption), SamplesPerPrompt = parse.GetValue(samplesOption),
            Sampler = new DdimOptions { Steps = parse.GetValue(stepsOption), Eta = parse.GetValue(ddimEtaOption) },
            LearningRate = parse.GetValue(lrOption), Seed = parse.GetValue(seedOption), CheckpointEvery = parse.GetValue(checkpointOption),
        };
    }

    private static string Row(ImagePolicyTrainer trainer, int index)
    {
        var rows = trainer.Metrics.Rows;
        if (rows.Count == 0) return "-";
        return rows[index < 0 ? rows.Count + index : index]["objective/scores"].ToString("G4", System.Globalization.CultureInfo.InvariantCulture);
    }
}
