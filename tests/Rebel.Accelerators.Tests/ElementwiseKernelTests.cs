// Element-wise kernels on ILGPU's CPU accelerator against the managed ops: values and gradients, odd shapes, broadcasting.
using Rebel.Tensors;

namespace Rebel.Accelerators.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class ElementwiseKernelTests(IlgpuCpuFixture fixture)
{
    private AcceleratorDevice Device => fixture.Device;

    [Theory]
    [InlineData(new[] { 3, 5, 7 }, new[] { 3, 5, 7 })]
    [InlineData(new[] { 3, 5, 7 }, new[] { 7 })]
    [InlineData(new[] { 2, 3, 13 }, new[] { 1, 3, 13 })]
    public void Add_and_Mul_match_the_managed_ops_with_gradients(int[] shapeA, int[] shapeB)
    {
        foreach (var mul in new[] { false, true })
        {
            var a = Compare.Leaf(1, shapeA); var b = Compare.Leaf(2, shapeB);
            var gy = Compare.Values(a.Size, 3);
            var y = mul ? Ops.Mul(a, b) : Ops.Add(a, b);
            Compare.Backward(y, gy);

            using var da = Device.Upload(a); using var db = Device.Upload(b); using var dg = Device.Upload(gy, shapeA);
            using var dy = mul ? Device.Kernels.Mul(da, db) : Device.Kernels.Add(da, db);
            using var dga = Device.Allocate(shapeA); using var dgb = Device.Allocate(shapeB);
            if (mul) Device.Kernels.MulBackward(da, db, dg, dga, dgb);
            else Device.Kernels.AddBackward(da, db, dg, dga, dgb);
            Compare.Close(y, dy, what: mul ? "mul" : "add");
            Compare.Close(a.Grad, dga.ToArray(), what: "grad a");
            Compare.Close(b.Grad, dgb.ToArray(), what: "grad b");
        }
    }

    [Fact]
    public void Add_names_both_shapes_when_they_do_not_combine()
    {
        using var a = Device.Allocate(2, 3); using var b = Device.Allocate(2);
        var e = Assert.Throws<ArgumentException>(() => Device.Kernels.Add(a, b));
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(2)", e.Message);
    }

    [Fact]
    public void Scale_matches_the_managed_op_with_gradient()
    {
        var a = Compare.Leaf(4, 5, 11);
        var gy = Compare.Values(a.Size, 5);
        var y = Ops.Mul(a, -0.75f);
        Compare.Backward(y, gy);
        using var da = Device.Upload(a); using var dg = Device.Upload(gy, a.Shape);
        using var dy = Device.Kernels.Scale(da, -0.75f);
        using var dga = Device.Allocate(a.Shape);
        Device.Kernels.ScaleBackward(dg, -0.75f, dga);
        Compare.Close(y, dy, what: "scale");
        Compare.Close(a.Grad, dga.ToArray(), what: "grad");
    }

    [Theory]
    [InlineData("gelu")]
    [InlineData("silu")]
    public void Activations_match_the_managed_ops_with_gradients(string name)
    {
        int[] shape = [3, 37];
        var values = Compare.Values(3 * 37, 6, scale: 6f);
        values[0] = 0f; values[1] = -30f; values[2] = 30f; values[3] = -100f; // zero and the saturated tails
        var a = Tensor.Parameter(values, shape);
        var gy = Compare.Values(a.Size, 7);
        var y = name == "gelu" ? Ops.Gelu(a) : Ops.Silu(a);
        Compare.Backward(y, gy);
        using var da = Device.Upload(a); using var dg = Device.Upload(gy, shape);
        using var dy = name == "gelu" ? Device.Kernels.Gelu(da) : Device.Kernels.Silu(da);
        using var dga = Device.Allocate(shape);
        if (name == "gelu") Device.Kernels.GeluBackward(da, dg, dga);
        else Device.Kernels.SiluBackward(da, dg, dga);
        Compare.Close(y, dy, what: name);
        Compare.Close(a.Grad, dga.ToArray(), what: name + " grad");
    }
}
