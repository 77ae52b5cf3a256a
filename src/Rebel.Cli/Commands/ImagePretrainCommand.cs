// `rebel image pretrain`: noise-prediction training of a DiT on the built-in shapes set.
using System.CommandLine;
using Rebel.Models.Diffusion;
using Rebel.Tensors;
using Rebel.Training.Images;
using Rebel.Training.Images.Data;
using Rebel.Training.Images.Training;
using Spectre.Console;

namespace Rebel.Cli.Commands;

/// <summary>Builds `rebel image pretrain`.</summary>
internal static class ImagePretrainCommand
{
    public static Command Create()
    {
        var d = new DiffusionPretrainOptions();
        var m = new ImageQuickstartOptions().Model;
        var outOption = new Option<string>("--out") { Description = "Model folder to write (config.json, model.safetensors).", DefaultValueFactory = _ => Path.Combine("runs", "image-pretrain") };
        var sizeOption = new Option<int>("--size") { Description = "Image side (8..32).", DefaultValueFactory = _ => 16 };
        var imagesOption = new Option<int>("--images") { Description = "Training images generated from the seed.", DefaultValueFactory = _ => 8192 };
        var archOption = new Option<string>("--architecture") { Description = "Denoiser: unet (a convolutional U-Net) or dit (a transformer on patches).", DefaultValueFactory = _ => m.Architecture }.AcceptOnlyFromAmong(DitConfig.Unet, DitConfig.Dit);
        var patchOption = new Option<int>("--patch") { Description = "Patch side.", DefaultValueFactory = _ => m.PatchSize };
        var widthOption = new Option<int>("--width") { Description = "U-Net channels at full resolution, or transformer width.", DefaultValueFactory = _ => m.HiddenSize };
        var layersOption = new Option<int>("--layers") { Description = "U-Net resolution levels, or DiT blocks.", DefaultValueFactory = _ => m.Layers };
        var headsOption = new Option<int>("--heads") { Description = "Attention heads.", DefaultValueFactory = _ => m.Heads };
        var stepsOption = new Option<int>("--steps") { Description = "Optimizer steps.", DefaultValueFactory = _ => d.Steps };
        var batchOption = new Option<int>("--batch-size") { Description = "Images per step.", DefaultValueFactory = _ => d.BatchSize };
        var lrOption = new Option<float>("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => d.LearningRate };
        var conditioningOption = new Option<string>("--unet-conditioning")
        {
            Description = "How a U-Net block takes the timestep and caption: add (a per-channel bias) or scale_shift (scales and shifts the normalised features).",
            DefaultValueFactory = _ => m.UnetConditioning,
        }.AcceptOnlyFromAmong(DitConfig.AddConditioning, DitConfig.ScaleShiftConditioning);
        var predictionOption = new Option<string>("--prediction") { Description = "What the network predicts: epsilon (the noise) or v_prediction.", DefaultValueFactory = _ => m.PredictionType }.AcceptOnlyFromAmong(DitConfig.Epsilon, DitConfig.VPrediction);
        var seedOption = new Option<ulong>("--seed") { Description = "Seed of the data, initialisation and training.", DefaultValueFactory = _ => 1UL };
        var emaOption = new Option<float>("--ema-decay")
        {
            Description = "Decay of the moving average of the weights that the folder receives (0: the last weights).",
            DefaultValueFactory = _ => new ImageQuickstartOptions().Pretrain.EmaDecay,
        };
        var quickstart = new ImageQuickstartOptions();
        var (captionNoiseOption, captionWordsOption) = ImageCommand.CaptionNoiseOptions(0, quickstart.CaptionNoiseWords); // the quickstart's words, clean by default
        var device = CommonFlags.Device();
        var cmd = new Command("pretrain", "Train a conditional U-Net or DiT to predict noise on the built-in shapes set; writes a model folder.")
        {
            outOption, sizeOption, imagesOption, archOption, patchOption, widthOption, layersOption, headsOption, stepsOption, batchOption, lrOption, predictionOption, conditioningOption, emaOption, seedOption, captionNoiseOption, captionWordsOption, device,
        };
        cmd.SetGuardedAction(parse =>
        {
            int size = parse.GetValue(sizeOption);
            ulong seed = parse.GetValue(seedOption);
            var config = ImageConditions.Config(size) with
            {
                Architecture = parse.GetValue(archOption)!, PatchSize = parse.GetValue(patchOption), HiddenSize = parse.GetValue(widthOption), Layers = parse.GetValue(layersOption), Heads = parse.GetValue(headsOption), PredictionType = parse.GetValue(predictionOption)!, UnetConditioning = parse.GetValue(conditioningOption)!,
            };
            var opened = CommonFlags.OpenDevice(parse, device);
            var model = Denoiser.Create(config);
            model.Initialize(new Rng(seed));
            if (!opened.IsHost) model.ToDevice(opened);
            // Noisy captions, if asked for, drawn from the seed as the quickstart draws its own (ImageQuickstart.CaptionSeed).
            var data = ShapesDataset.WithCaptionNoise(ShapesDataset.Generate(seed, parse.GetValue(imagesOption), size), parse.GetValue(captionNoiseOption) ?? 0,
                seed + ImageQuickstart.CaptionSeed, parse.GetValue(captionWordsOption) is { } words ? ImageCommand.CaptionWords(words) : [.. quickstart.CaptionNoiseWords]);
            var options = d with { Steps = parse.GetValue(stepsOption), BatchSize = parse.GetValue(batchOption), LearningRate = parse.GetValue(lrOption), EmaDecay = parse.GetValue(emaOption), Seed = seed };
            double last = double.NaN;
            var averaged = model;
            ProgressDisplay.Run(progress =>
            {
                progress.Phase("pretrain", options.Steps);
                var trainer = new DiffusionPretrainer(model, data, options) { StepCompleted = (s, loss) => { last = loss; progress.Step(s, $"loss {loss:F4}"); } };
                averaged = trainer.Averaged; // the moving average when one is kept, else the trained model itself
                return trainer.Train();
            });
            model = averaged;
            string dir = parse.GetValue(outOption)!;
            DitFolder.Save(model, dir);
            Terminal.Out.WriteLine($"Wrote {Path.GetFullPath(dir)} ({model.ParameterCount:N0} parameters, last loss {last:F4}).");
            return 0;
        });
        return cmd;
    }
}
