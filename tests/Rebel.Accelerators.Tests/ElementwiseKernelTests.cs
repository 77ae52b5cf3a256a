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
    public void Binary_ops_match_the_managed_ops_with_gradients(int[] shapeA, int[] shapeB)
    {
        foreach (var op in "+-*/")
        {
            var a = Compare.Leaf(1, shapeA);
            var b = Tensor.Parameter(Compare.Values(Compare.Size(shapeB), 2).Select(v => v + MathF.CopySign(0.5f, v)).ToArray(), shapeB); // |b| ≥ 0.5
            var gy = Compare.Values(a.Size, 3);
            var y = op switch { '+' => Ops.Add(a, b), '-' => Ops.Sub(a, b), '*' => Ops.Mul(a, b), _ => Ops.Div(a, b) };
            Compare.Backward(y, gy);

            var k = Device.Kernels;
            using var da = Device.Upload(a); using var db = Device.Upload(b); using var dg = Device.Upload(gy, shapeA);
            using var dy = op switch { '+' => k.Add(da, db), '-' => k.Sub(da, db), '*' => k.Mul(da, db), _ => k.Div(da, db) };
            using var dga = Device.Allocate(shapeA); using var dgb = Device.Allocate(shapeB);
            Action<DeviceBuffer, DeviceBuffer, DeviceBuffer, DeviceBuffer?, DeviceBuffer?> backward =
                op switch { '+' => k.AddBackward, '-' => k.SubBackward, '*' => k.MulBackward, _ => k.DivBackward };
            backward(da, db, dg, dga, dgb);
            Compare.Close(y, dy, what: $"a {op} b");
            Compare.Close(a.Grad, dga.ToArray(), what: $"grad a of {op}");
            Compare.Close(b.Grad, dgb.ToArray(), what: $"grad b of {op}");
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
    [InlineData("exp")]
    [InlineData("log")]
    [InlineData("tanh")]
    [InlineData("sigmoid")]
    [InlineData("relu")]
    public void Activations_match_the_managed_ops_with_gradients(string name)
    {
        int[] shape = [3, 37];
        var values = Compare.Values(3 * 37, 6, scale: 6f);
        if (name is "exp") values = [.. values.Select(v => v / 2)]; // e^±3: gradients stay comparable to 1e-5 relative
        else if (name is "log") values = [.. values.Select(v => MathF.Abs(v) + 0.1f)]; // ln needs x > 0
        else { values[0] = 0f; values[1] = -30f; values[2] = 30f; values[3] = -100f; } // zero and the saturated tails
        var a = Tensor.Parameter(values, shape);
        var gy = Compare.Values(a.Size, 7);
        var k = Device.Kernels;
        var (managed, forward, backward) = name switch
        {
            "gelu" => (Ops.Gelu(a), k.Gelu, k.GeluBackward),
            "silu" => (Ops.Silu(a), k.Silu, k.SiluBackward),
            "exp" => (Ops.Exp(a), k.Exp, k.ExpBackward),
            "log" => (Ops.Log(a), k.Log, k.LogBackward),
            "tanh" => (Ops.Tanh(a), k.Tanh, k.TanhBackward),
            "sigmoid" => (Ops.Sigmoid(a), k.Sigmoid, k.SigmoidBackward),
            _ => (Ops.Relu(a), (Func<DeviceBuffer, DeviceBuffer>)k.Relu, (Action<DeviceBuffer, DeviceBuffer, DeviceBuffer>)k.ReluBackward),
        };
        Compare.Backward(managed, gy);
        using var da = Device.Upload(a); using var dg = Device.Upload(gy, shape);
        using var dy = forward(da);
        using var dga = Device.Allocate(shape);
        backward(da, dg, dga);
        Compare.Close(managed, dy, what: name);
        Compare.Close(a.Grad, dga.ToArray(), what: name + " grad");
    }
}
