// Sum, mean and max along every axis on ILGPU's CPU accelerator against the managed ops, with and without the kept dimension,
// values and gradients; max's gradient goes to the first of tied maxima, as in the engine.
using Rebel.Tensors;

namespace Rebel.Accelerators.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class ReduceKernelTests(IlgpuCpuFixture fixture)
{
    private AcceleratorDevice Device => fixture.Device;

    public enum Reduction { Sum, Mean, Max }

    [Theory]
    [InlineData(Reduction.Sum, 0, false)]
    [InlineData(Reduction.Sum, 1, true)]
    [InlineData(Reduction.Sum, -1, false)]
    [InlineData(Reduction.Mean, 0, true)]
    [InlineData(Reduction.Mean, 1, false)]
    [InlineData(Reduction.Mean, 2, true)]
    [InlineData(Reduction.Max, 0, false)]
    [InlineData(Reduction.Max, 1, true)]
    [InlineData(Reduction.Max, -1, false)]
    public void Reductions_along_an_axis_match_the_managed_ops_with_gradients(Reduction r, int axis, bool keepDim)
    {
        int[] shape = [3, 4, 5];
        var values = Compare.Values(3 * 4 * 5, 301);
        values[7] = values[2]; values[27] = values[7]; // ties along axes 0 and 2 of the same column and row
        var a = Tensor.Parameter(values, shape);
        var y = r switch { Reduction.Sum => Ops.Sum(a, axis, keepDim), Reduction.Mean => Ops.Mean(a, axis, keepDim), _ => Ops.Max(a, axis, keepDim) };
        var gy = Compare.Values(y.Size, 302);
        Compare.Backward(y, gy);
        using var da = Device.Upload(a); using var dg = Device.Upload(gy, y.Shape);
        var k = Device.Kernels;
        using var dy = r switch { Reduction.Sum => k.SumAxis(da, axis, keepDim), Reduction.Mean => k.MeanAxis(da, axis, keepDim), _ => k.MaxAxis(da, axis, keepDim) };
        using var dga = Device.Allocate(shape);
        if (r == Reduction.Sum) k.SumAxisBackward(dg, dga, axis);
        else if (r == Reduction.Mean) k.MeanAxisBackward(dg, dga, axis);
        else k.MaxAxisBackward(da, dg, dga, axis);
        Compare.Close(y, dy, what: $"{r} along {axis}");
        Compare.Close(a.Grad, dga.ToArray(), what: $"{r} grad along {axis}");
    }

    [Theory]
    [InlineData(1)] // the row kernel
    [InlineData(0)] // one index per output
    public void Max_picks_the_element_the_engine_picks_among_ties_infinities_and_NaNs(int axis)
    {
        float nan = float.NaN, inf = float.PositiveInfinity;
        float[] values =
        [
            1, 3, 3, 2, 0, -1, 3, // ties: the first 3
            nan, 2, 5, 1, 0, 0, 0, // a NaN first, nothing after it: stays
            4, nan, 9, nan, 1, 0, 2, // NaNs later: the last
            -inf, -inf, -inf, -inf, -inf, -inf, -inf, // all −∞: the first
            inf, 1, inf, 0, 0, 0, 0, // +∞ twice: the first
        ];
        int[] shape = [5, 7];
        var a = Tensor.Parameter(values, shape);
        var y = Ops.Max(a, axis);
        var gy = Compare.Values(y.Size, 303);
        Compare.Backward(y, gy);
        using var da = Device.Upload(a); using var dg = Device.Upload(gy, y.Shape);
        using var dy = Device.Kernels.MaxAxis(da, axis);
        using var dga = Device.Allocate(shape);
        Device.Kernels.MaxAxisBackward(da, dg, dga, axis);
        Assert.Equal(y.ToArray(), dy.ToArray()); // NaN equals NaN here
        Assert.Equal(a.Grad, dga.ToArray());
    }

    [Fact]
    public void A_reduction_names_the_axis_and_shape_when_the_gradient_does_not_fit()
    {
        using var x = Device.Allocate(3, 4); using var g = Device.Allocate(4, 1); using var gx = Device.Allocate(3, 4);
        var e = Assert.Throws<ArgumentException>(() => Device.Kernels.SumAxisBackward(g, gx, 1));
        Assert.Contains("(4, 1)", e.Message);
        Assert.Contains("(3, 4) reduced along axis 1", e.Message);
        Assert.Throws<ArgumentException>(() => Device.Kernels.MaxAxis(x, 2));
    }
}
