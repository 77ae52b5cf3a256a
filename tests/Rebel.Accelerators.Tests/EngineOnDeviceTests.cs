// The engine's tensors on an accelerator: ops dispatch on where their operands live, the tape and the optimizer run there, and a
// whole model's forward and backward on ilgpu-cpu equal the managed engine's.
using Rebel.Models;
using Rebel.Tensors;
using Rebel.Tensors.Optim;

namespace Rebel.Accelerators.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class EngineOnDeviceTests(IlgpuCpuFixture fixture)
{
    private AcceleratorDevice Device => fixture.Device;

    [Fact]
    public void Moving_is_explicit_and_mixed_devices_name_both()
    {
        var host = Compare.Leaf(1, 2, 3);
        var onDevice = Ops.ToDevice(host, Device);
        Assert.True(onDevice.IsOnDevice);
        Assert.Same(Device, onDevice.Device);
        Compare.Close(host.ToArray(), onDevice.ToArray(), 0f, "round trip");
        var e = Assert.Throws<ArgumentException>(() => Ops.Add(onDevice, host));
        Assert.Contains("lives on ilgpu-cpu", e.Message);
        Assert.Contains("on cpu", e.Message);
        Assert.Contains("ToDevice", e.Message);
        var read = Assert.Throws<InvalidOperationException>(() => onDevice.Span.ToArray());
        Assert.Contains("ilgpu-cpu", read.Message);
        Assert.Contains("ToHost", read.Message);
    }

    [Fact]
    public void Gradients_flow_back_across_ToDevice_and_ToHost()
    {
        var x = Tensor.Parameter([0.5f, -1f, 2f, 3f], [2, 2], "x");
        var loss = Ops.Sum(Ops.Mul(Ops.ToHost(Ops.Tanh(Ops.ToDevice(x, Device))), 2f));
        loss.Backward();
        var expected = x.ToArray().Select(v => 2f * (1f - MathF.Tanh(v) * MathF.Tanh(v))).ToArray();
        Compare.Close(expected, x.Grad, 1e-6f, "dx");
    }

    [Fact]
    public void A_model_forward_backward_and_AdamW_step_on_the_device_equal_the_host()
    {
        foreach (var architecture in new[] { ModelArchitecture.Gpt2, ModelArchitecture.Llama })
        {
            var config = new ModelConfig
            {
                Architecture = architecture, VocabSize = 37, HiddenSize = 16, Layers = 2, Heads = 2, KvHeads = 2, IntermediateSize = 24, MaxPositions = 32,
                EosTokenIds = [0],
            };
            var host = ModelFactory.Create(config, new Rng(5));
            var device = ModelFactory.Create(config, new Rng(5));
            device.ToDevice(Device);
            Assert.Same(Device, device.Device);
            Assert.All(device.Parameters, p => Assert.True(p.IsOnDevice, $"{p} stayed on the host"));
            Assert.True(TensorMemory.DeviceLiveBytes >= 4L * device.ParameterCount, "the weights' device bytes are counted");
            int[] ids = [3, 7, 1, 30, 2, 2, 9, 11, 4, 5, 6, 8];
            int[] targets = [7, 1, 30, 2, 2, 9, -100, 4, 5, 6, 8, 36];
            var optHost = new AdamW(host.Parameters, 1e-2f);
            var optDevice = new AdamW(device.Parameters, 1e-2f);
            for (int step = 0; step < 2; step++)
            {
                var results = new List<float[]>();
                foreach (var (model, opt) in new[] { (host, optHost), (device, optDevice) })
                {
                    using var scope = new TensorScope();
                    opt.ZeroGrad();
                    var hidden = model.ForwardHidden(ids, 2, 6);
                    var logp = model.TokenLogProbs(hidden, targets); // (2, 6) on the host either way
                    var loss = Ops.Mul(Ops.Sum(logp), -1f / 11);
                    loss.Backward();
                    Optimizer.ClipGradNorm(model.Parameters, 0.5f);
                    opt.Step();
                    results.Add([.. logp.ToArray(), .. model.Parameters.SelectMany(p => p.ToArray())]);
                }
                Compare.Close(results[0], results[1], 2e-5f, $"{architecture} step {step}: log-probs and updated weights");
            }
        }
    }
}
