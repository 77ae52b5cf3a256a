// AdamW and gradient clipping on ILGPU's CPU accelerator against the engine's AdamW and Optimizer.ClipGradNorm.
using Rebel.Tensors;
using Rebel.Tensors.Optim;

namespace Rebel.Accelerators.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class OptimizerKernelTests(IlgpuCpuFixture fixture)
{
    private AcceleratorDevice Device => fixture.Device;

    // Gives each parameter the gradient `grads[i]` through the tape (loss = Σ p ⊙ g).
    private static void SetGradients(Tensor[] parameters, float[][] grads)
    {
        foreach (var p in parameters) p.ZeroGrad();
        Tensor? loss = null;
        for (int i = 0; i < parameters.Length; i++)
        {
            var term = Ops.Sum(Ops.Mul(parameters[i], Tensor.FromArray(grads[i], parameters[i].Shape)));
            loss = loss is null ? term : Ops.Add(loss, term);
        }
        loss!.Backward();
    }

    [Fact]
    public void AdamW_matches_the_engine_over_three_steps()
    {
        Tensor[] host = [Compare.Leaf(81, 13), Compare.Leaf(82, 3, 5)];
        var device = host.Select(p => Device.Upload(p)).ToArray();
        var managed = new AdamW(host, learningRate: 3e-2f, epsilon: 1e-5f, weightDecay: 0.1f);
        using var onDevice = new DeviceAdamW(Device, device, learningRate: 3e-2f, epsilon: 1e-5f, weightDecay: 0.1f);
        for (int step = 0; step < 3; step++)
        {
            float[][] grads = [Compare.Values(13, 90 + step), Compare.Values(15, 95 + step)];
            SetGradients(host, grads);
            managed.Step();
            var deviceGrads = grads.Select((g, i) => Device.Upload(g, host[i].Shape)).ToArray();
            onDevice.Step(deviceGrads);
            foreach (var g in deviceGrads) g.Dispose();
        }
        for (int i = 0; i < host.Length; i++) Compare.Close(host[i], device[i], what: $"parameter {i}");
        var expectedState = managed.StateBuffers();
        var actualState = onDevice.StateBuffers();
        for (int i = 0; i < expectedState.Count; i++) Compare.Close(expectedState[i], actualState[i], what: $"moment {i}");
        foreach (var d in device) d.Dispose();
    }

    [Theory]
    [InlineData(0.5f)] // clips
    [InlineData(1e6f)] // leaves the gradients alone
    public void ClipGradNorm_matches_the_engine(float maxNorm)
    {
        Tensor[] host = [Compare.Leaf(101, 5000), Compare.Leaf(102, 3, 7)]; // more elements than the norm kernel's threads
        float[][] grads = [Compare.Values(5000, 103), Compare.Values(21, 104)];
        SetGradients(host, grads);
        var device = grads.Select((g, i) => Device.Upload(g, host[i].Shape)).ToArray();
        float expected = Optimizer.ClipGradNorm(host, maxNorm);
        float actual = Device.Kernels.ClipGradNorm(device, maxNorm);
        Compare.Close([expected], [actual], what: "norm");
        for (int i = 0; i < host.Length; i++) Compare.Close(host[i].Grad, device[i].ToArray(), what: $"gradient {i}");
        foreach (var d in device) d.Dispose();
    }
}
