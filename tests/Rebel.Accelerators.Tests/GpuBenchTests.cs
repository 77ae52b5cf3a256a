// rebel-gpu-bench (bench/Rebel.GpuBench): its command line and exit codes. The benches themselves are ModelBench's, tested on a
// tiny shape through `rebel bench model --device ilgpu-cpu` (Rebel.Training.Tests' BenchDeviceTests).
using System.Runtime.InteropServices;
using Rebel.GpuBench;

namespace Rebel.Accelerators.Tests;

public sealed class GpuBenchTests
{
    [Fact]
    public void Without_arguments_it_runs_both_issue_presets_on_cuda_for_three_steps()
    {
        var parsed = BenchArguments.Parse([]);
        Assert.Equal(("cuda", 3, false), (parsed.Device, parsed.Steps, parsed.Help));
        Assert.Equal(["gpt2-124m", "qwen2.5-0.5b"], parsed.Presets);
        var chosen = BenchArguments.Parse(["--device", "ilgpu-cpu", "--preset", "smollm2-135m", "--preset", "gpt2-124m", "--steps", "5"]);
        Assert.Equal(("ilgpu-cpu", 5), (chosen.Device, chosen.Steps));
        Assert.Equal(["smollm2-135m", "gpt2-124m"], chosen.Presets);
    }

    [Theory]
    [InlineData("--steps 0", "--steps must be a whole number of at least 1, not '0'")]
    [InlineData("--steps three", "--steps must be a whole number of at least 1, not 'three'")]
    [InlineData("--steps", "--steps needs a value")]
    [InlineData("--device --steps 2", "--device needs a value")]
    [InlineData("--device tpu", "Unknown device 'tpu': expected one of cpu, ilgpu-cpu, cuda")]
    [InlineData("--preset gpt2-xl", "--preset gpt2-xl: unknown preset; expected one of gpt2-124m, pythia-160m, smollm2-135m, qwen2.5-0.5b, llama-3.2-1b")]
    [InlineData("--presets gpt2-124m", "unknown argument '--presets'")]
    public void A_bad_argument_exits_2_naming_it_before_any_device_opens(string args, string message)
    {
        var (code, output, error) = Run(args.Split(' '));
        Assert.Equal(Program.BadArgument, code);
        Assert.Equal("", output);
        Assert.Contains($"error: {message}", error, StringComparison.Ordinal);
        Assert.Contains("usage: rebel-gpu-bench", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_prints_the_usage_and_exits_0()
    {
        var (code, output, error) = Run(["--help"]);
        Assert.Equal((0, ""), (code, error));
        Assert.StartsWith("usage: rebel-gpu-bench [--device cuda|ilgpu-cpu|cpu]", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuda_without_a_driver_exits_3_with_the_driver_error_and_no_stack_trace()
    {
        if (AcceleratorDevice.CudaDriverNames.Any(n => NativeLibrary.TryLoad(n, out _))) return; // a machine with an NVIDIA driver: nothing to check here
        var (code, output, error) = Run(["--preset", "gpt2-124m"]);
        Assert.Equal(Program.DeviceUnavailable, code);
        Assert.Equal("", output);
        Assert.Equal($"error: cuda: no NVIDIA driver found (looked for {string.Join(", ", AcceleratorDevice.CudaDriverNames)} on the library path). " +
            "Install the NVIDIA driver, or use the cpu or ilgpu-cpu device.", error.Trim());
    }

    private static (int Code, string Output, string Error) Run(string[] args)
    {
        using StringWriter output = new(), error = new();
        int code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
