// The command line of rebel-gpu-bench: --device, --preset (repeatable), --steps, --help. Every mistake is an ArgumentException
// naming the flag and what it accepts, raised before a device is opened or a model built.
using System.Globalization;
using Rebel.Accelerators;
using Rebel.Models;

namespace Rebel.GpuBench;

/// <summary>What to run: the device, the checkpoint presets timed one after the other, and the timed training steps per bench.</summary>
internal sealed record BenchArguments(string Device, IReadOnlyList<string> Presets, int Steps, bool Help)
{
    /// <summary>The presets the issue asks figures for (GPT-2 124M and Qwen2.5-0.5B), run when no --preset is given.</summary>
    public static IReadOnlyList<string> DefaultPresets { get; } = ["gpt2-124m", "qwen2.5-0.5b"];

    /// <summary>How to call the program.</summary>
    public static string Usage { get; } =
        "usage: rebel-gpu-bench [--device cuda|ilgpu-cpu|cpu] [--preset NAME]... [--steps N]\n" +
        "  --device  where the models train and sample (default cuda)\n" +
        $"  --preset  a checkpoint shape with random weights: {string.Join(", ", ModelConfig.CheckpointPresetNames)} (repeatable; default {string.Join(" and ", DefaultPresets)})\n" +
        "  --steps   timed training steps per bench, median reported after one warm-up step (default 3)\n" +
        "Prints the JSON lines of `rebel bench model --preset NAME --device D --json` for each preset.\n" +
        "Exit status: 0 done, 1 a preset failed (its \"error\" line; the exception on standard error), 2 a bad argument, 3 no such device here.";

    /// <summary>Reads <paramref name="args"/>; an unknown flag, a missing or bad value is an <see cref="ArgumentException"/> naming it.</summary>
    public static BenchArguments Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string device = "cuda";
        var presets = new List<string>();
        int steps = 3;
        bool help = false;
        for (int i = 0; i < args.Count; i++)
        {
            string flag = args[i];
            string Value() => i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                ? args[++i] : throw new ArgumentException($"{flag} needs a value.");
            switch (flag)
            {
                case "--help" or "-h":
                    help = true;
                    break;
                case "--device":
                    device = Value();
                    DeviceNames.Parse(device); // an unknown name lists the known ones
                    break;
                case "--preset":
                    string preset = Value();
                    if (!ModelConfig.CheckpointPresetNames.Contains(preset))
                        throw new ArgumentException($"--preset {preset}: unknown preset; expected one of {string.Join(", ", ModelConfig.CheckpointPresetNames)}.");
                    presets.Add(preset);
                    break;
                case "--steps":
                    string text = Value();
                    if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out steps) || steps < 1)
                        throw new ArgumentException($"--steps must be a whole number of at least 1, not '{text}'.");
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{flag}'.");
            }
        }
        return new BenchArguments(device, presets.Count > 0 ? presets : DefaultPresets, steps, help);
    }
}
