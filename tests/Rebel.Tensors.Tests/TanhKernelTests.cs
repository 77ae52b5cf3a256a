// The fast tanh (Vector512, Vector256 and scalar paths) against MathF.Tanh at every length 0..257 and at edge values.
namespace Rebel.Tensors.Tests;

public class TanhKernelTests
{
    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(0)]
    public void EveryPath_MatchesMathTanh_AtEveryLength(int maxBits)
    {
        var rng = new Rng(3);
        for (int n = 0; n <= 257; n++)
        {
            var x = new float[n];
            rng.FillNormal(x, 0f, 4f);
            var y = new float[n];
            Ops.TanhFast(x, y, maxBits);
            for (int i = 0; i < n; i++) Assert.True(MathF.Abs(MathF.Tanh(x[i]) - y[i]) < 3e-7f, $"n={n} x={x[i]}: {MathF.Tanh(x[i])} vs {y[i]}");
        }
    }

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(0)]
    public void EdgeValues(int maxBits)
    {
        float[] x = [0f, -0f, 1e-30f, -1e-8f, 0.5f, -0.5f, 8.9f, 9f, 9.1f, 50f, -50f, float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity, 3f, -3f];
        var y = new float[x.Length];
        Ops.TanhFast(x, y, maxBits);
        for (int i = 0; i < x.Length; i++) Assert.True(MathF.Abs(MathF.Tanh(x[i]) - y[i]) < 3e-7f, $"x={x[i]}: {MathF.Tanh(x[i])} vs {y[i]}");
        Assert.True(float.IsNegative(y[1]) || y[1] == 0f);
    }
}
