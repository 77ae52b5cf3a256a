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
    [InlineData(new[] { 2, 4, 5 }, new[] { 2, 1, 5 })] // a per-row (B, 1, C) operand
    [InlineData(new[] { 2, 4, 5 }, new[] { 2, 4, 1 })] // a row scale (B, T, 1)
    [InlineData(new[] { 2, 4, 1 }, new[] { 2, 4, 5 })] // the broadcast operand first
    [InlineData(new[] { 2, 1, 5 }, new[] { 3, 1 })] // both repeat: (2, 3, 5)
    [InlineData(new[] { 5 }, new[] { 3, 1, 5 })] // a lower-rank a
    [InlineData(new[] { 3, 5 }, new[] { 1 })] // a scalar-like b
    public void Binary_ops_match_the_managed_ops_with_gradients(int[] shapeA, int[] shapeB)
    {
        foreach (var op in Enum.GetValues<BinaryKind>())
        {
            var a = Compare.Leaf(1, shapeA);
            var b = Tensor.Parameter(Compare.Values(Compare.Size(shapeB), 2).Select(v => v + MathF.CopySign(0.5f, v)).ToArray(), shapeB); // |b| ≥ 0.5
            var y = op switch { BinaryKind.Add => Ops.Add(a, b), BinaryKind.Sub => Ops.Sub(a, b), BinaryKind.Mul => Ops.Mul(a, b), _ => Ops.Div(a, b) };
            var gy = Compare.Values(y.Size, 3);
            Compare.Backward(y, gy);

            using var da = Device.Upload(a); using var db = Device.Upload(b); using var dg = Device.Upload(gy, y.Shape);
            using var dy = Device.Kernels.Binary(op, da, db);
            using var dga = Device.Allocate(shapeA); using var dgb = Device.Allocate(shapeB);
            Device.Kernels.BinaryBackward(op, da, db, dg, dga, dgb);
            Compare.Close(y, dy, what: op.ToString());
            Compare.Close(a.Grad, dga.ToArray(), what: $"grad a of {op}");
            Compare.Close(b.Grad, dgb.ToArray(), what: $"grad b of {op}");
        }
    }

    [Fact]
    public void Add_names_both_shapes_when_they_do_not_combine()
    {
        using var a = Device.Allocate(2, 3); using var b = Device.Allocate(2);
        var e = Assert.Throws<ArgumentException>(() => Device.Kernels.Binary(BinaryKind.Add, a, b));
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

    [Fact]
    public void AddScalar_matches_the_managed_op_with_gradient()
    {
        var a = Compare.Leaf(8, 3, 1, 7);
        var gy = Compare.Values(a.Size, 9);
        var y = Ops.Sub(a, 1.25f);
        Compare.Backward(y, gy);
        using var da = Device.Upload(a); using var dg = Device.Upload(gy, a.Shape);
        using var dy = Device.Kernels.AddScalar(da, -1.25f);
        using var dga = Device.Allocate(a.Shape);
        Device.Kernels.AddScalarBackward(dg, dga);
        Compare.Close(y, dy, tol: 0f, what: "add scalar");
        Compare.Close(a.Grad, dga.ToArray(), tol: 0f, what: "grad");
    }

    [Theory]
    [InlineData(Activation.Gelu)]
    [InlineData(Activation.Silu)]
    [InlineData(Activation.Exp)]
    [InlineData(Activation.Log)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.GeluExact)]
    [InlineData(Activation.LogSigmoid)]
    [InlineData(Activation.Sqrt)]
    public void Activations_match_the_managed_ops_with_gradients(Activation f)
    {
        int[] shape = [3, 37];
        var values = Compare.Values(3 * 37, 6, scale: 6f);
        if (f == Activation.Exp) values = [.. values.Select(v => v / 2)]; // e^±3: gradients stay comparable to 1e-5 relative
        else if (f is Activation.Log or Activation.Sqrt) values = [.. values.Select(v => MathF.Abs(v) + 0.1f)]; // ln and √ need x > 0
        else { values[0] = 0f; values[1] = -30f; values[2] = 30f; values[3] = -100f; } // zero and the saturated tails
        var a = Tensor.Parameter(values, shape);
        var gy = Compare.Values(a.Size, 7);
        var y = f switch
        {
            Activation.Gelu => Ops.Gelu(a),
            Activation.Silu => Ops.Silu(a),
            Activation.Exp => Ops.Exp(a),
            Activation.Log => Ops.Log(a),
            Activation.Tanh => Ops.Tanh(a),
            Activation.Sigmoid => Ops.Sigmoid(a),
            Activation.Relu => Ops.Relu(a),
            Activation.GeluExact => Ops.GeluExact(a),
            Activation.LogSigmoid => Ops.LogSigmoid(a),
            _ => Ops.Sqrt(a),
        };
        Compare.Backward(y, gy);
        using var da = Device.Upload(a); using var dg = Device.Upload(gy, shape);
        using var dy = Device.Kernels.Map(f, da);
        using var dga = Device.Allocate(shape);
        Device.Kernels.MapBackward(f, da, dg, dga);
        Compare.Close(y, dy, what: f.ToString());
        Compare.Close(a.Grad, dga.ToArray(), what: f + " grad");
    }
}
