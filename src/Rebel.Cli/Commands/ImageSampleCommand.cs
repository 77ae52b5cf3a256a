// `rebel image sample`: a PNG grid of samples from a DiT folder, one row per caption.
using System.CommandLine;
using Rebel.Models.Diffusion;
using Rebel.Models.IO;
using Rebel.Training.Images.Data;
using Rebel.Training.Images.Quality;
using Spectre.Console;

namespace Rebel.Cli.Commands;

/// <summary>Builds `rebel image sample`.</summary>
internal static class ImageSampleCommand
{
    public static Command Create()
    {
        var modelOption = new Option<string>("--model") { Description = "DiT folder.", Required = true };
        var promptOption = new Option<string[]>("--prompt") { Description = "Caption(s) such as \"red circle on blue\" (default: every caption).", AllowMultipleArgumentsPerToken = true };
        var numOption = new Option<int>("--num") { Description = "Samples per caption (one grid row each).", DefaultValueFactory = _ => 8 };
        var seedOption = new Option<ulong>("--seed") { Description = "First noise seed.", DefaultValueFactory = _ => 1UL };
        var stepsOption = new Option<int>("--steps") { Description = "DDIM steps.", DefaultValueFactory = _ => new DdimOptions().Steps };
        var etaOption = new Option<float>("--ddim-eta") { Description = "DDIM noise η (> 0).", DefaultValueFactory = _ => new DdimOptions().Eta };
        var outOption = new Option<string>("--out") { Description = "PNG file to write.", DefaultValueFactory = _ => "samples.png" };
        var device = CommonFlags.Device();
        var cmd = new Command("sample", "Sample a grid of images from a DiT folder and write it as a PNG.")
        {
            modelOption, promptOption, numOption, seedOption, stepsOption, etaOption, outOption, device,
        };
        cmd.SetGuardedAction(parse =>
        {
            var opened = CommonFlags.OpenDevice(parse, device);
            var model = DitFolder.Load(parse.GetValue(modelOption)!);
            if (!opened.IsHost) model.ToDevice(opened);
            var prompts = parse.GetValue(promptOption) is { Length: > 0 } given ? [.. given.Select(c => ShapeAttributes.Parse(c).Caption)] : ShapeAttributes.All.Select(a => a.Caption).ToList();
            int num = parse.GetValue(numOption);
            if (num < 1) throw new ArgumentException($"--num {num} must be at least 1.");
            var (captions, seeds) = ImageSampling.Grid(prompts, num, parse.GetValue(seedOption));
            var images = ImageSampling.Sample(model, new DdimOptions { Steps = parse.GetValue(stepsOption), Eta = parse.GetValue(etaOption) }, captions, seeds);
            string path = parse.GetValue(outOption)!;
            var png = ImageSampling.GridPng(images, model.Config.ImageSize, num);
            AtomicFile.Write(path, stream => stream.Write(png));
            Terminal.Out.WriteLine($"Wrote {Path.GetFullPath(path)}: {prompts.Count} row(s) × {num} samples ({string.Join("; ", prompts)}).");
            return 0;
        });
        return cmd;
    }
}
