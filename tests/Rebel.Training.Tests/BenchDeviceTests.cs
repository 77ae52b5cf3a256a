// `rebel bench model --device`: the training step on an accelerator (ILGPU's CPU accelerator here, on a tiny model's shape: the
// device is slow) gives the host's loss, its lines name the device and count its memory; cuda without a driver is a one-line error.
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Rebel.Training.Tests;

[Collection("Console")]
public sealed class BenchDeviceTests(TinyModelFolder tiny) : IClassFixture<TinyModelFolder>
{
    private Dictionary<string, JsonObject> Bench(string device)
    {
        var (code, output, error) = CliHarness.Run("bench", "model", "--model", tiny.ModelDir, "--device", device, "--steps", "1", "--json");
        Assert.True(code == 0, error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToDictionary(o => (string)o["bench"]!);
    }

    [Fact]
    public void On_ilgpu_cpu_the_train_step_gives_the_hosts_loss_and_every_line_names_the_device()
    {
        var host = Bench("cpu");
        var device = Bench("ilgpu-cpu");
        Assert.Equal(["machine", "gemm_limit", "memory_limit", "train", "sample", "train_lora", "peak_memory"], device.Keys);
        Assert.All(host.Values, line => Assert.Null(line["device"])); // the cpu lines are as before
        foreach (var (bench, line) in device.Where(kv => kv.Key != "machine"))
            Assert.StartsWith("ilgpu-cpu (", (string)line["device"]!, StringComparison.Ordinal);
        foreach (string bench in new[] { "train", "train_lora" })
        {
            Assert.True((double)device[bench]["tokens_per_s"]! > 0, bench);
            Assert.Equal("model", (string)device[bench]["preset"]!); // the folder's name labels its shape
            // the same random model, batch and step on both devices: the same loss (to the JSON's three decimals, and rounding)
            Assert.Equal((double)host[bench]["final_loss"]!, (double)device[bench]["final_loss"]!, 0.0015);
        }
        Assert.True((double)device["gemm_limit"]["gflops"]! > 0);
        Assert.True((double)device["memory_limit"]["gb_per_s"]! > 0);
        // the weights and their gradients lived on the device: at least 2 × 4 bytes per parameter
        Assert.True((double)device["peak_memory"]["device_peak_mb"]! >= 8.0 * (long)device["train"]["parameters"]! / (1 << 20));
        Assert.Null(device["sample"]["unsupported"]); // cached sampling runs on the device
        Assert.True((double)device["sample"]["tokens_per_s"]! > 0);
    }

    [Fact]
    public void Cuda_without_a_driver_fails_with_the_driver_error_and_no_stack_trace()
    {
        if (NativeLibrary.TryLoad("libcuda.so.1", out _)) return; // a machine with an NVIDIA driver: nothing to check here
        var (code, output, error) = CliHarness.Run("bench", "model", "--preset", "gpt2-124m", "--device", "cuda", "--json");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.StartsWith("error: cuda: no NVIDIA driver found (looked for libcuda.so.1", error, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bench gemm --device ilgpu-cpu", "--device ilgpu-cpu goes with `rebel bench model`")]
    [InlineData("bench model --device tpu", "'tpu'")]
    [InlineData("bench model --preset gpt2-124m --model x", "--preset and --model each name the shape to time: give one.")]
    public void Device_and_shape_mistakes_are_named(string args, string message)
    {
        var (code, _, error) = CliHarness.Run(args.Split(' '));
        Assert.NotEqual(0, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }
}
