// rebel-gpu-bench: the self-contained GPU benchmark (issue 19). For each checkpoint preset (GPT-2 124M and Qwen2.5-0.5B unless
// told otherwise) a random-weight model of that exact shape trains (full, then LoRA r = 16) and samples with the KV cache on the
// chosen device, and one JSON line per figure goes to standard output: ModelBench's lines, as `rebel bench model --json` prints them.
using Rebel.Accelerators;
using Rebel.Models;

namespace Rebel.GpuBench;

/// <summary>Entry point and exit codes: 0 done, 2 a bad argument, 3 the device is not available on this machine.</summary>
internal static class Program
{
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
        Rebel.Tensors.TensorDevice device;
        try
        {
            device = Device.Open(parsed.Device);
        }
        catch (DeviceUnavailableException e)
        {
            error.WriteLine($"error: {e.Message}");
            return DeviceUnavailable;
        }
        try
        {
            foreach (string preset in parsed.Presets)
            {
                foreach (var line in ModelBench.RunPreset(preset, trainSteps: parsed.Steps, device: device))
                {
                    output.WriteLine(BenchJson.Line(line).ToJsonString());
                    output.Flush();
                }
            }
        }
        finally
        {
            (device as IDisposable)?.Dispose();
        }
        return 0;
    }
}
