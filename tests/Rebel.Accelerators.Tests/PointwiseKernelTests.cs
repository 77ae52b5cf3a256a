// Pow, Clamp, Where and Dropout on ILGPU's CPU accelerator against the managed ops: values and gradients, odd shapes; dropout's
// mask drawn on the host from the same generator state gives the managed result bit for bit.
using Rebel.Tensors;

namespace Rebel.Accelerators.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class PointwiseKernelTests(IlgpuCpuFixture fixture)
{
    private AcceleratorDevice Device => fixture.Device;

    [Theory]
    [InlineData(2f)]
    [InlineData(0.5f)]
    [InlineData(-1.5f)]
    public void Pow_matches_the_managed_op_with_gradient(float p)
    {
        var a = Tensor.Parameter(Compare.Values(3 * 17, 201).Select(v => MathF.Abs(v) + 0.2f).ToArray(), [3, 17]); // x > 0 for fractional powers
        var gy = Compare.Values(a.Size, 202);
        var y = Ops.Pow(a, p);
        Compare.Backward(y, gy);
        using var da = Device.Upload(a); using var dg = Device.Upload(gy, a.Shape);
        using var dy = Device.Kernels.Pow(da, p);
        using var dga = Device.Allocate(a.Shape);
        Device.Kernels.PowBackward(da, dg, dga, p);
        Compare.Close(y, dy, what: "pow");
        Compare.Close(a.Grad, dga.ToArray(), what: "pow grad");
    }

    [Fact]
    public void Clamp_matches_the_managed_op_and_passes_the_gradient_inside_the_bounds()
    {
        var values = Compare.Values(5 * 13, 203);
        values[0] = -0.5f; values[1] = 0.75f; // exactly on the bounds: the gradient passes
        var a = Tensor.Parameter(values, [5, 13]);
        var gy = Compare.Values(a.Size, 204);
        var y = Ops.Clamp(a, -0.5f, 0.75f);
        Compare.Backward(y, gy);
        using var da = Device.Upload(a); using var dg = Device.Upload(gy, a.Shape);
        using var dy = Device.Kernels.Clamp(da, -0.5f, 0.75f);
        using var dga = Device.Allocate(a.Shape);
        Device.Kernels.ClampBackward(da, dg, dga, -0.5f, 0.75f);
        Compare.Close(y, dy, tol: 0f, what: "clamp");
        Compare.Close(a.Grad, dga.ToArray(), tol: 0f, what: "clamp grad");
        Assert.Equal(gy[0], dga.ToArray()[0]);
    }

    [Fact]
    public void Where_matches_the_managed_op_with_gradients_on_the_picked_side()
    {
        int[] shape = [3, 7, 5];
        var mask = Tensor.FromArray(Compare.Values(3 * 7 * 5, 205).Select(v => v > 0 ? 1f : 0f).ToArray(), shape);
        var a = Compare.Leaf(206, shape); var b = Compare.Leaf(207, shape);
        var gy = Compare.Values(a.Size, 208);
        var y = Ops.Where(mask, a, b);
        Compare.Backward(y, gy);
        using var dm = Device.Upload(mask); using var da = Device.Upload(a); using var db = Device.Upload(b); using var dg = Device.Upload(gy, shape);
        using var dy = Device.Kernels.Where(dm, da, db);
        using var dga = Device.Allocate(shape); using var dgb = Device.Allocate(shape);
        Device.Kernels.WhereBackward(dm, dg, dga, dgb);
        Compare.Close(y, dy, tol: 0f, what: "where");
        Compare.Close(a.Grad, dga.ToArray(), tol: 0f, what: "where grad a");
        Compare.Close(b.Grad, dgb.ToArray(), tol: 0f, what: "where grad b");
    }

    [Fact]
    public void Dropout_with_a_host_mask_equals_the_managed_op_bit_for_bit()
    {
        const float p = 0.3f;
        int[] shape = [4, 5, 9];
        var a = Compare.Leaf(209, shape);
        var gy = Compare.Values(a.Size, 210);
        Rng managed = new(77), onDevice = new(77);
        var y = Ops.Dropout(a, p, managed);
        Compare.Backward(y, gy);
        using var da = Device.Upload(a); using var dg = Device.Upload(gy, shape);
        using var mask = Device.Kernels.DropoutMask(shape, p, onDevice);
        using var dy = Device.Kernels.Dropout(da, mask);
        using var dga = Device.Allocate(shape);
        Device.Kernels.DropoutBackward(mask, dg, dga);
        Compare.Close(y, dy, tol: 0f, what: "dropout");
        Compare.Close(a.Grad, dga.ToArray(), tol: 0f, what: "dropout grad");
        Assert.Contains(0f, dy.ToArray()); // some elements dropped
        Assert.Equal(managed.NextUInt64(), onDevice.NextUInt64()); // the same draws were taken
    }
}
