// The engine's AdamW and Optimizer.ClipGradNorm on parameters living on ILGPU's CPU accelerator against the same on the host.
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
            var term = Ops.Sum(Ops.Mul(parameters[i], Ops.ToDevice(Tensor.FromArray(grads[i], parameters[i].Shape), parameters[i].Device)));
            loss = loss is null ? term : Ops.Add(loss, term);
        }
        loss!.Backward();
    }

    [Fact]
    public void AdamW_on_the_device_matches_the_host_over_three_steps()
    {
        Tensor[] host = [Compare.Leaf(81, 13), Compare.Leaf(82, 3, 5)];
        Tensor[] device = [Compare.Leaf(81, 13), Compare.Leaf(82, 3, 5)];
        foreach (var p in device) p.MoveTo(Device);
        var managed = new AdamW(host, learningRate: 3e-2f, epsilon: 1e-5f, weightDecay: 0.1f);
        var onDevice = new AdamW(device, learningRate: 3e-2f, epsilon: 1e-5f, weightDecay: 0.1f);
        for (int step = 0; step < 3; step++)
        {
            float[][] grads = [Compare.Values(13, 90 + step), Compare.Values(15, 95 + step)];
            SetGradients(host, grads);
            SetGradients(device, grads);
            managed.Step();
            onDevice.Step();
        }
        for (int i = 0; i < host.Length; i++) Compare.Close(host[i].ToArray(), device[i].ToArray(), what: $"parameter {i}");
        var expectedState = managed.StateBuffers();
        var actualState = onDevice.StateBuffers(); // the device moments, copied out for a checkpoint
        for (int i = 0; i < expectedState.Count; i++) Compare.Close(expectedState[i], actualState[i], what: $"moment {i}");
    }

    [Theory]
    [InlineData(0.5f)] // clips
    [InlineData(1e6f)] // leaves the gradients alone
    public void ClipGradNorm_on_the_device_matches_the_host(float maxNorm)
    {
        Tensor[] host = [Compare.Leaf(101, 5000), Compare.Leaf(102, 3, 7)]; // more elements than the norm kernel's threads
        Tensor[] device = [Compare.Leaf(101, 5000), Compare.Leaf(102, 3, 7)];
        foreach (var p in device) p.MoveTo(Device);
        float[][] grads = [Compare.Values(5000, 103), Compare.Values(21, 104)];
        SetGradients(host, grads);
        SetGradients(device, grads);
        float expected = Optimizer.ClipGradNorm(host, maxNorm);
        float actual = Optimizer.ClipGradNorm(device, maxNorm);
        Compare.Close([expected], [actual], what: "norm");
        for (int i = 0; i < host.Length; i++) Compare.Close(host[i].Grad, device[i].Grad, what: $"gradient {i}");
    }
}
