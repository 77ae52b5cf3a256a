// rebel-gpu-bench: the self-contained GPU benchmark (issue 19). For each checkpoint preset (GPT-2 124M and Qwen2.5-0.5B unless
// told otherwise) a random-weight model of that exact shape trains (full, then LoRA r = 16) and samples with the KV cache on the
// chosen device, and one JSON line per figure goes to standard output: ModelBench's lines, as `rebel bench model --json` prints them.
using Rebel.Accelerators;
using Rebel.Models;
using Rebel.Tensors;

namespace Rebel.GpuBench;

/// <summary>Entry point and exit codes: 0 done, 1 a preset failed, 2 a bad argument, 3 the device is not available on this machine.</summary>
internal static class Program
{
    /// <summary>Exit code when a preset's benches failed (its "error" line is printed and the other presets still run).</summary>
    public const int PresetFailed = 1;

    /// <summary>Exit code for a bad argument (the message and the usage go to standard error).</summary>
    public const int BadArgument = 2;

    /// <summary>Exit code for a device this machine cannot open (no NVIDIA driver, no GPU, no cuBLAS).</summary>
    public const int DeviceUnavailable = 3;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Parses <paramref name="args"/>, opens the device and prints every preset's lines to <paramref name="output"/> as they come.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        BenchArguments parsed;
        try
        {
            parsed = BenchArguments.Parse(args);
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"error: {e.Message}");
            error.WriteLine(BenchArguments.Usage);
            return BadArgument;
        }
        if (parsed.Help)
        {
            output.WriteLine(BenchArguments.Usage);
            return 0;
        }
        TensorDevice device;
        try
        {
            device = Device.Open(parsed.Device);
        }
        catch (DeviceUnavailableException e)
        {
            error.WriteLine($"error: {e.Message}");
            return DeviceUnavailable;
        }
        int failed = 0;
        try
        {
            foreach (string preset in parsed.Presets)
            {
                try
                {
                    foreach (var line in ModelBench.RunPreset(preset, trainSteps: parsed.Steps, device: device)) Print(output, line);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // A failure on a GPU (a kernel that does not compile, a CUDA error) ends this preset, not the run: its line says
                    // so, the whole exception goes to standard error for the first session that sees it, and the next preset runs.
                    failed++;
                    Print(output, new BenchFigures("error", [("preset", preset), ("message", e.Message), ("device", device.ToString())]));
                    error.WriteLine($"error: {preset}: {e}");
                }
            }
        }
        finally
        {
            (device as IDisposable)?.Dispose();
        }
        return failed == 0 ? 0 : PresetFailed;
    }

    private static void Print(TextWriter output, BenchFigures line)
    {
        output.WriteLine(BenchJson.Line(line).ToJsonString());
        output.Flush(); // each line as it is measured: a long GPU run shows its figures as they come
    }
}
