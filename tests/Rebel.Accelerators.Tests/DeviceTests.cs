// The device layer: names, moving data, GEMM on the CPU accelerator (the managed fallback) against the scalar reference,
// mixed-device and shape errors, and `cuda` failing with an error that names what it looked for on a machine without one.
using System.Runtime.InteropServices;
using Rebel.Accelerators.Blas;
using Rebel.Tensors;
using Rebel.Tensors.Kernels;

namespace Rebel.Accelerators.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceTests(IlgpuCpuFixture fixture)
{
    private AcceleratorDevice Device => fixture.Device;

    [Fact]
    public void Device_names_parse_and_an_unknown_one_lists_the_known()
    {
        Assert.Equal(DeviceKind.IlgpuCpu, DeviceNames.Parse("ILGPU-CPU"));
        Assert.Equal("cuda", DeviceNames.Name(DeviceKind.Cuda));
        Assert.Same(TensorDevice.Cpu, Accelerators.Device.Open("cpu"));
        var e = Assert.Throws<ArgumentException>(() => DeviceNames.Parse("gpu"));
        Assert.Contains("'gpu'", e.Message);
        Assert.Contains("cpu, ilgpu-cpu, cuda", e.Message);
    }

    [Fact]
    public void Upload_and_ToTensor_round_trip_and_a_wrong_count_names_the_shape()
    {
        var t = Compare.Leaf(1, 3, 4);
        using var d = Device.Upload(t);
        Assert.Same(Device, d.Device);
        var back = d.ToTensor();
        Assert.Equal(t.Shape, back.Shape);
        Assert.Equal(t.ToArray(), back.ToArray());
        var e = Assert.Throws<ArgumentException>(() => Device.Upload(new float[5], 2, 3));
        Assert.Contains("(2, 3)", e.Message);
    }

    [Fact]
    public void Reshape_is_a_view_of_the_same_memory_and_a_wrong_size_names_both_shapes()
    {
        using var x = Device.Upload([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        using var view = x.Reshape(3, -1);
        Assert.Equal([3, 2], view.Shape);
        view.CopyFrom([6f, 5f, 4f, 3f, 2f, 1f]);
        Assert.Equal([6f, 5f, 4f, 3f, 2f, 1f], x.ToArray());
        var e = Assert.Throws<ArgumentException>(() => x.Reshape(4, 2));
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(4, 2)", e.Message);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Gemm_equals_the_scalar_reference(bool transA, bool transB)
    {
        const int m = 7, n = 9, k = 13;
        var a = Compare.Values(m * k, 111); var b = Compare.Values(k * n, 112); var c0 = Compare.Values(m * n, 113);
        var expected = (float[])c0.Clone();
        Gemm.Reference(a, b, expected, m, n, k, transA, transB, accumulate: true);
        using var da = Device.Upload(a, transA ? [k, m] : [m, k]);
        using var db = Device.Upload(b, transB ? [n, k] : [k, n]);
        using var dc = Device.Upload(c0, m, n);
        Device.Gemm.Multiply(da, db, dc, m, n, k, transA, transB, accumulate: true);
        Compare.Close(expected, dc.ToArray(), what: "gemm");
    }

    [Fact]
    public void Batched_gemm_equals_the_scalar_reference_per_matrix()
    {
        const int batch = 3, m = 5, n = 4, k = 7;
        var a = Compare.Values(batch * k * m, 114); var b = Compare.Values(batch * n * k, 115);
        var expected = new float[batch * m * n];
        for (int i = 0; i < batch; i++)
            Gemm.Reference(a.AsSpan(i * m * k, m * k), b.AsSpan(i * k * n, k * n), expected.AsSpan(i * m * n, m * n), m, n, k, transA: true, transB: true, accumulate: false);
        using var da = Device.Upload(a, batch, k, m); using var db = Device.Upload(b, batch, n, k); using var dc = Device.Allocate(batch, m, n);
        Device.Gemm.MultiplyBatched(da, db, dc, batch, m, n, k, transA: true, transB: true);
        Compare.Close(expected, dc.ToArray(), what: "batched gemm");
    }

    [Fact]
    public void Gemm_names_the_operand_that_does_not_fit()
    {
        using var a = Device.Allocate(3, 4); using var b = Device.Allocate(5, 2); using var c = Device.Allocate(3, 2);
        var e = Assert.Throws<ArgumentException>(() => Device.Gemm.Multiply(a, b, c, 3, 2, 4));
        Assert.Contains("B (5, 2)", e.Message);
        Assert.Contains("4×2", e.Message);
    }

    [Fact]
    public void A_buffer_of_another_device_is_an_error_naming_both()
    {
        using var other = (AcceleratorDevice)Accelerators.Device.Open(DeviceKind.IlgpuCpu);
        using var x = other.Allocate(2, 3);
        var e = Assert.Throws<ArgumentException>(() => Device.Kernels.Map(Activation.Gelu, x));
        Assert.Contains("lives on ilgpu-cpu", e.Message);
        Assert.Contains("move it explicitly", e.Message);
    }

    [Fact]
    public void Cuda_without_a_driver_fails_naming_the_driver_library()
    {
        if (AcceleratorDevice.CudaDriverNames.Any(n => NativeLibrary.TryLoad(n, out _))) return; // a machine with an NVIDIA driver: nothing to check here
        var e = Assert.Throws<DeviceUnavailableException>(() => Accelerators.Device.Open("cuda"));
        Assert.Contains(AcceleratorDevice.CudaDriverNames[0], e.Message);
        Assert.Contains("cpu or ilgpu-cpu", e.Message);
    }

    [Fact]
    public void Missing_cublas_fails_naming_both_sonames()
    {
        if (CublasLibrary.Names.Any(n => NativeLibrary.TryLoad(n, out _))) return; // cuBLAS installed: nothing to check here
        var e = Assert.Throws<DeviceUnavailableException>(CublasLibrary.Load);
        foreach (var name in CublasLibrary.Names) Assert.Contains(name, e.Message);
    }
}
