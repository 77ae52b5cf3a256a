// Row-wise kernels (softmax, log-softmax, LayerNorm, RMSNorm) on ILGPU's CPU accelerator against the managed ops.
using Rebel.Tensors;

namespace Rebel.Accelerators.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class RowKernelTests(IlgpuCpuFixture fixture)
{
    private AcceleratorDevice Device => fixture.Device;

    [Theory]
    [InlineData(false, 4, 33)]
    [InlineData(true, 4, 33)]
    [InlineData(true, 3, 1)]
    [InlineData(false, 2, 300)]
    public void Softmax_family_matches_the_managed_ops_with_gradients(bool log, int rows, int width)
    {
        var x = Compare.Leaf(11, rows, width);
        var gy = Compare.Values(x.Size, 12);
        var y = log ? Ops.LogSoftmax(x) : Ops.Softmax(x);
        Compare.Backward(y, gy);
        using var dx = Device.Upload(x); using var dg = Device.Upload(gy, x.Shape);
        using var dy = log ? Device.Kernels.LogSoftmax(dx) : Device.Kernels.Softmax(dx);
        using var dgx = Device.Allocate(x.Shape);
        if (log) Device.Kernels.LogSoftmaxBackward(dy, dg, dgx);
        else Device.Kernels.SoftmaxBackward(dy, dg, dgx);
        Compare.Close(y, dy, what: "softmax");
        Compare.Close(x.Grad, dgx.ToArray(), what: "softmax grad");
    }

    [Theory]
    [InlineData(new[] { 4, 33 })]
    [InlineData(new[] { 2, 3, 1 })]
    [InlineData(new[] { 300 })]
    public void SumLastAxis_matches_the_managed_op_with_gradient(int[] shape)
    {
        var x = Compare.Leaf(15, shape);
        var y = Ops.Sum(x, -1);
        var gy = Compare.Values(y.Size, 16);
        Compare.Backward(y, gy);
        using var dx = Device.Upload(x); using var dg = Device.Upload(gy, y.Shape);
        using var dy = Device.Kernels.SumLastAxis(dx);
        using var dgx = Device.Allocate(shape);
        Device.Kernels.SumLastAxisBackward(dg, dgx);
        Compare.Close(y, dy, what: "sum");
        Compare.Close(x.Grad, dgx.ToArray(), what: "sum grad");
    }

    [Theory]
    [InlineData(true, new[] { 5, 37 })]
    [InlineData(false, new[] { 2, 3, 37 })]
    [InlineData(true, new[] { 1, 1, 300 })]
    public void LayerNorm_matches_the_managed_op_with_gradients(bool withBias, int[] shape)
    {
        int c = shape[^1];
        var x = Compare.Leaf(21, shape);
        var w = Tensor.Parameter(Compare.Values(c, 22, scale: 1.5f), [c]);
        var b = withBias ? Compare.Leaf(23, c) : null;
        var gy = Compare.Values(x.Size, 24);
        var y = Ops.LayerNorm(x, w, b, 1e-5f);
        Compare.Backward(y, gy);

        using var dx = Device.Upload(x); using var dw = Device.Upload(w); using var db = b is null ? null : Device.Upload(b);
        using var dg = Device.Upload(gy, shape);
        using var saved = Device.Kernels.LayerNorm(dx, dw, db, 1e-5f);
        using var dgx = Device.Allocate(shape); using var dgw = Device.Allocate(c); using var dgb = Device.Allocate(c);
        Device.Kernels.LayerNormBackward(dx, dw, saved, dg, dgx, dgw, withBias ? dgb : null);
        Compare.Close(y, saved.Output, what: "layer norm");
        Compare.Close(x.Grad, dgx.ToArray(), tol: 2e-5f, what: "grad x");
        Compare.Close(w.Grad, dgw.ToArray(), what: "grad w");
        if (b is not null) Compare.Close(b.Grad, dgb.ToArray(), what: "grad b");
    }

    [Theory]
    [InlineData(new[] { 5, 37 })]
    [InlineData(new[] { 2, 2, 64 })]
    public void RmsNorm_matches_the_managed_op_with_gradients(int[] shape)
    {
        int c = shape[^1];
        var x = Compare.Leaf(31, shape);
        var w = Tensor.Parameter(Compare.Values(c, 32, scale: 1.5f), [c]);
        var gy = Compare.Values(x.Size, 33);
        var y = Ops.RmsNorm(x, w, 1e-6f);
        Compare.Backward(y, gy);

        using var dx = Device.Upload(x); using var dw = Device.Upload(w); using var dg = Device.Upload(gy, shape);
        using var saved = Device.Kernels.RmsNorm(dx, dw, 1e-6f);
        using var dgx = Device.Allocate(shape); using var dgw = Device.Allocate(c);
        Device.Kernels.RmsNormBackward(dx, dw, saved, dg, dgx, dgw);
        Compare.Close(y, saved.Output, what: "rms norm");
        Compare.Close(x.Grad, dgx.ToArray(), tol: 2e-5f, what: "grad x");
        Compare.Close(w.Grad, dgw.ToArray(), what: "grad w");
    }

    [Fact]
    public void Empty_inputs_launch_nothing_and_keep_their_shapes()
    {
        using var x = Device.Allocate(0, 5); using var w = Device.Allocate(5); using var g = Device.Allocate(0, 5);
        using var y = Device.Kernels.Softmax(x);
        using var saved = Device.Kernels.LayerNorm(x, w, null, 1e-5f);
        using var gelu = Device.Kernels.Map(Activation.Gelu, x);
        Device.Kernels.LayerNormBackward(x, w, saved, g, g, w, null);
        Assert.Equal([0, 5], y.Shape);
        Assert.Equal([0], saved.Rstd.Shape);
        Assert.Empty(gelu.ToArray());
        Assert.Equal(new float[5], w.ToArray());
    }

    [Fact]
    public void Norm_names_the_shapes_that_do_not_match()
    {
        using var x = Device.Allocate(4, 6); using var w = Device.Allocate(5);
        var e = Assert.Throws<ArgumentException>(() => Device.Kernels.RmsNorm(x, w, 1e-6f));
        Assert.Contains("(4, 6)", e.Message);
        Assert.Contains("(5)", e.Message);
    }
}
