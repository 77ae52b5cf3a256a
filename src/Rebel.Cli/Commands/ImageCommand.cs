// `rebel image`: diffusion models on images — pretrain, train (REBEL or DDPO against an image reward), sample, quickstart.
using System.CommandLine;
using Rebel.Models.Diffusion;
using Rebel.Training.Images;
using Spectre.Console;

namespace Rebel.Cli.Commands;

/// <summary>Builds the image command and its subcommands.</summary>
internal static class ImageCommand
{
    /// <summary>The image command; <paramref name="helpAlgorithm"/> as in <see cref="ImageTrainCommand.Create"/>.</summary>
    public static Command Create(string? helpAlgorithm = null) => new("image", "Small conditional diffusion models (U-Net or DiT) on the built-in shapes set, fine-tuned with REBEL or DDPO against image rewards.")
    {
        CreateQuickstart(),
        ImagePretrainCommand.Create(),
        ImageTrainCommand.Create(helpAlgorithm),
        ImageSampleCommand.Create(),
    };

    /// <summary>--caption-noise and --caption-noise-words with the given defaults (shown in --help).</summary>
    internal static (Option<double?> Noise, Option<string?> Words) CaptionNoiseOptions(double noise, IReadOnlyList<string> words) => (
        new Option<double?>("--caption-noise")
        {
            Description = $"Probability that a word of a pretraining caption names another value than the image shows, as crawled captions often do (default {noise:G3}; 0 = clean captions).",
        },
        new Option<string?>("--caption-noise-words")
        {
            Description = $"The caption words that --caption-noise applies to, comma-separated: colour, shape, background, or all (default {string.Join(",", words)}).",
        });

    /// <summary>The value of --caption-noise-words: "all" is every word (an empty list); an empty value is an error.</summary>
    internal static string[] CaptionWords(string words) =>
        words.Trim().Equals("all", StringComparison.OrdinalIgnoreCase) ? []
            : words.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } list ? list
            : throw new ArgumentException("--caption-noise-words: no word given; expected colour, shape, background (comma-separated) or all.");

    private static Command CreateQuickstart()
    {
        var outOption = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => Path.Combine("runs", "image-quickstart") };
        var seedOption = new Option<ulong>("--seed") { Description = "Seed of the data, models and training.", DefaultValueFactory = _ => 1UL };
        var defaults = new ImageQuickstartOptions();
        var itersOption = new Option<int?>("--iterations") { Description = $"REBEL iterations (default {defaults.Rebel.Iterations})." };
        var stepsOption = new Option<int?>("--pretrain-steps")
        {
            Description = $"Pretraining steps (default {defaults.Pretrain.Steps}; fewer only when --pretrain-target is reached first).",
        };
        var klOption = new Option<float?>("--kl-coef")
        {
            Description = $"β of the KL penalty towards the pretrained sampler (reward − β·Σ per-step KL of the Gaussian transitions; default {defaults.KlCoef}, 0 = off).",
        };
        var klLossOption = new Option<float?>("--kl-loss-coef")
        {
            Description = $"β_L of the KL towards the pretrained sampler as a loss term, differentiated through the policy's means (as DPOK; default {defaults.KlLossCoef}, 0 = off).",
        };
        var lrOption = new Option<float?>("--lr") { Description = $"Peak learning rate of fine-tuning (default {defaults.Rebel.LearningRate:G3})." };
        var etaOption = new Option<float?>("--eta") { Description = $"REBEL's η (default {defaults.Rebel.Eta:G3})." };
        var targetOption = new Option<double?>("--pretrain-target")
        {
            Description = "Validation alignment (0..1) at which pretraining stops early (default: none, all pretraining steps are taken).",
        };
        var pretrainedOption = new Option<string?>("--pretrained") { Description = "Fine-tune this model folder (e.g. pretrained/ of an earlier run) instead of pretraining one." };
        var archOption = new Option<string?>("--architecture")
        {
            Description = $"Denoiser: unet (a convolutional U-Net) or dit (a transformer on patches) (default {defaults.Model.Architecture}).",
        }.AcceptOnlyFromAmong(DitConfig.Unet, DitConfig.Dit);
        var widthOption = new Option<int?>("--width") { Description = $"U-Net channels at full resolution, or DiT width (default {defaults.Model.HiddenSize})." };
        var layersOption = new Option<int?>("--layers") { Description = $"U-Net resolution levels, or DiT blocks (default {defaults.Model.Layers})." };
        var patchOption = new Option<int?>("--patch") { Description = $"DiT patch side (default {defaults.Model.PatchSize}; the U-Net has none)." };
        var conditioningOption = new Option<string?>("--unet-conditioning")
        {
            Description = $"How a U-Net block takes the timestep and caption: add (a per-channel bias) or scale_shift (scales and shifts the normalised features) (default {defaults.Model.UnetConditioning}).",
        }.AcceptOnlyFromAmong(DitConfig.AddConditioning, DitConfig.ScaleShiftConditioning);
        var emaOption = new Option<float?>("--ema-decay")
        {
            Description = $"Decay of the moving average of the pretraining weights that validation samples and fine-tuning starts from (default {defaults.Pretrain.EmaDecay:G3}; 0 = the last weights).",
        };
        var trainedStepsOption = new Option<int?>("--trained-steps")
        {
            Description = "Leading stochastic DDIM steps whose log-densities fine-tuning trains on (default all; the KL loss term still covers every step).",
        };
        var epochsOption = new Option<int?>("--epochs") { Description = $"REBEL epochs over each iteration's pairs (default {defaults.Rebel.Epochs})." };
        var promptsOption = new Option<int?>("--prompts-per-iteration") { Description = $"Captions sampled per fine-tuning iteration (default {defaults.Rebel.PromptsPerIteration})." };
        var samplesOption = new Option<int?>("--samples-per-prompt")
        {
            Description = $"Images sampled per caption and iteration; REBEL pairs the best with the worst of each caption's samples (default {defaults.Rebel.SamplesPerPrompt}).",
        };
        var samplerStepsOption = new Option<int?>("--sampler-steps") { Description = $"DDIM steps of the sampler that is the policy and draws the held-out samples (default {defaults.Rebel.Sampler.Steps})." };
        var (captionNoiseOption, captionWordsOption) = CaptionNoiseOptions(defaults.CaptionNoise, defaults.CaptionNoiseWords);
        var judgeStepsOption = new Option<int?>("--judge-steps") { Description = $"Training steps of the independent judge (default {defaults.JudgeSteps})." };
        var ddimEtaOption = new Option<float?>("--ddim-eta") { Description = $"DDIM noise η of that sampler, above 0 (default {defaults.Rebel.Sampler.Eta:G3}; 1 is DDPM-like, smaller is closer to deterministic DDIM)." };
        var trainableOption = new Option<string?>("--trainable")
        {
            Description = "A regular expression over the denoiser's parameter names: only matching parameters fine-tune (e.g. emb: the timestep and caption embeddings and their projections); default all.",
        };
        var minibatchOption = new Option<int?>("--minibatch") { Description = $"Pairs (REBEL) or images (DDPO) per optimizer step (default {defaults.Rebel.MiniBatchSize} pairs; DDPO twice as many images)." };
        var algoOption = new Option<string>("--algo") { Description = "Fine-tuning method: rebel, or ddpo for the baseline at the same reward queries.", DefaultValueFactory = _ => defaults.Algorithm }.AcceptOnlyFromAmong("rebel", "ddpo");
        var device = CommonFlags.Device();
        var cmd = new Command("quickstart", "Pretrain a small diffusion model (U-Net or DiT) on the shapes set, fine-tune it with REBEL (or DDPO) on prompt alignment with a KL penalty towards the pretrained sampler, measure held-out alignment by an independent judge, Fréchet distance and high-frequency ratio; writes summary.json, PNG grids and report.html.")
        {
            outOption, seedOption, itersOption, stepsOption, algoOption, klOption, klLossOption, lrOption, etaOption, targetOption, pretrainedOption,
            archOption, widthOption, layersOption, patchOption, conditioningOption, emaOption, trainedStepsOption, epochsOption,
            promptsOption, samplesOption, minibatchOption, trainableOption, samplerStepsOption, ddimEtaOption, judgeStepsOption, captionNoiseOption, captionWordsOption, device,
        };
        cmd.SetGuardedAction(parse =>
        {
            var options = defaults with
            {
                OutputDirectory = parse.GetValue(outOption)!,
                Seed = parse.GetValue(seedOption),
                Algorithm = parse.GetValue(algoOption)!,
                Model = defaults.Model with
                {
                    Architecture = parse.GetValue(archOption) ?? defaults.Model.Architecture, HiddenSize = parse.GetValue(widthOption) ?? defaults.Model.HiddenSize,
                    Layers = parse.GetValue(layersOption) ?? defaults.Model.Layers, PatchSize = parse.GetValue(patchOption) ?? defaults.Model.PatchSize,
                    UnetConditioning = parse.GetValue(conditioningOption) ?? defaults.Model.UnetConditioning,
                },
                Rebel = defaults.Rebel with
                {
                    Iterations = parse.GetValue(itersOption) ?? defaults.Rebel.Iterations,
                    LearningRate = parse.GetValue(lrOption) ?? defaults.Rebel.LearningRate, Eta = parse.GetValue(etaOption) ?? defaults.Rebel.Eta,
                    TrainedSteps = parse.GetValue(trainedStepsOption) ?? defaults.Rebel.TrainedSteps, Epochs = parse.GetValue(epochsOption) ?? defaults.Rebel.Epochs,
                    PromptsPerIteration = parse.GetValue(promptsOption) ?? defaults.Rebel.PromptsPerIteration,
                    SamplesPerPrompt = parse.GetValue(samplesOption) ?? defaults.Rebel.SamplesPerPrompt,
                    MiniBatchSize = parse.GetValue(minibatchOption) ?? defaults.Rebel.MiniBatchSize,
                    TrainableParameters = parse.GetValue(trainableOption) ?? defaults.Rebel.TrainableParameters,
                    Sampler = defaults.Rebel.Sampler with { Steps = parse.GetValue(samplerStepsOption) ?? defaults.Rebel.Sampler.Steps, Eta = parse.GetValue(ddimEtaOption) ?? defaults.Rebel.Sampler.Eta },
                },
                KlLossCoef = parse.GetValue(klLossOption) ?? defaults.KlLossCoef,
                Pretrain = defaults.Pretrain with { Steps = parse.GetValue(stepsOption) ?? defaults.Pretrain.Steps, EmaDecay = parse.GetValue(emaOption) ?? defaults.Pretrain.EmaDecay },
                KlCoef = parse.GetValue(klOption) ?? defaults.KlCoef,
                JudgeSteps = parse.GetValue(judgeStepsOption) ?? defaults.JudgeSteps,
                CaptionNoise = parse.GetValue(captionNoiseOption) ?? defaults.CaptionNoise,
                CaptionNoiseWords = parse.GetValue(captionWordsOption) is { } words ? CaptionWords(words) : defaults.CaptionNoiseWords,
                PretrainedModel = parse.GetValue(pretrainedOption),
                Device = CommonFlags.OpenDevice(parse, device),
                PretrainTargetAlignment = parse.GetValue(targetOption) ?? defaults.PretrainTargetAlignment,
            };
            var summary = ProgressDisplay.Run(progress => ImageQuickstart.Run(options, progress));
            var table = new Table().AddColumn("metric").AddColumn("value");
            table.AddRow("independent judge alignment (held-out): before → after", $"{summary.JudgeBefore:F1} → {summary.JudgeAfter:F1} %");
            table.AddRow("reward classifier alignment: before → after", $"{summary.RewardBefore:F1} → {summary.RewardAfter:F1} %");
            table.AddRow("Fréchet distance to real: before → after (real)", $"{summary.QualityBefore?.FrechetDistance:F2} → {summary.QualityAfter?.FrechetDistance:F2} ({summary.QualityReal?.FrechetDistance:F2})");
            table.AddRow("high-frequency ratio: before → after", $"{summary.QualityBefore?.HighFrequencyRatio:F2} → {summary.QualityAfter?.HighFrequencyRatio:F2}");
            table.AddRow("seconds", $"{summary.Seconds:F0}");
            Terminal.Out.Write(table);
            Terminal.Out.MarkupLine($"Wrote [green]{Markup.Escape(Path.GetFullPath(options.OutputDirectory))}[/] (summary.json, report.html, samples_before.png, samples_after.png, comparison.png, metrics.jsonl, pretrained/, rebel/, checkpoint/).");
            return 0;
        });
        return cmd;
    }
}
