// One ILGPU CPU accelerator for every test (opening a context and compiling kernels is the slow part), plus the comparison
// helpers: device results against the managed engine's, to a relative tolerance.
using Rebel.Tensors;

namespace Rebel.Accelerators.Tests;

/// <summary>
/// The accelerator under test: ILGPU's CPU accelerator, or the device named by REBEL_ACCELERATOR_TEST_DEVICE (cuda on a machine
/// with a GPU runs every comparison against the GPU's kernels and cuBLAS).
/// </summary>
public sealed class IlgpuCpuFixture : IDisposable
{
    public AcceleratorDevice Device { get; } = Open(Environment.GetEnvironmentVariable("REBEL_ACCELERATOR_TEST_DEVICE") ?? "ilgpu-cpu");

    private static AcceleratorDevice Open(string name) => Accelerators.Device.Open(name) as AcceleratorDevice
        ?? throw new ArgumentException($"REBEL_ACCELERATOR_TEST_DEVICE={name}: the accelerator tests need an accelerator (ilgpu-cpu or cuda).");

    public void Dispose() => Device.Dispose();
}

[CollectionDefinition(Name)]
public sealed class IlgpuCpuCollection : ICollectionFixture<IlgpuCpuFixture>
{
    public const string Name = "ilgpu-cpu";
}

internal static class Compare
{
    /// <summary>Asserts |actual − expected| ≤ tol·max(1, |expected|) element-wise, naming the first element that differs.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tol = 1e-5f, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            if (!(MathF.Abs(a - e) <= tol * MathF.Max(1f, MathF.Abs(e))))
                Assert.Fail($"{what}: element {i} of {expected.Length} is {a}, expected {e} (tolerance {tol} relative).");
        }
    }

    public static void Close(Tensor expected, DeviceBuffer actual, float tol = 1e-5f, string what = "")
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Close(expected.ToArray(), actual.ToArray(), tol, what);
    }

    /// <summary>Runs the managed backward pass from <paramref name="y"/> with upstream gradient <paramref name="gy"/> (loss = Σ y ⊙ gy).</summary>
    public static void Backward(Tensor y, float[] gy) => Ops.Sum(Ops.Mul(y, Tensor.FromArray(gy, y.Shape))).Backward();

    /// <summary>Deterministic values in [−scale, scale).</summary>
    public static float[] Values(int n, int seed, float scale = 2f)
    {
        var rng = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return v;
    }

    /// <summary>A host leaf that requires grad (a parameter), filled with <see cref="Values"/>.</summary>
    public static Tensor Leaf(int seed, params int[] shape) => Tensor.Parameter(Values(Size(shape), seed), shape);

    public static int Size(int[] shape)
    {
        int n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }
}
