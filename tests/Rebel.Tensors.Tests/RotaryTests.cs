// Rotary position embedding: forward against a direct complex rotation, Llama-3 frequency scaling against
// hand-computed values, and finite-difference gradients for full and partial rotation.
using Rebel.Tensors;

namespace Rebel.Tensors.Tests;

public class RotaryTests
{
    private const int B = 2, T = 3, H = 2;

    [Theory]
    [InlineData(6, 6)]
    [InlineData(6, 4)]
    [InlineData(8, 2)]
    public void ForwardIsComplexRotation(int d, int rotaryDim)
    {
        const double theta = 10000;
        var table = new RotaryTable(rotaryDim, theta);
        var x = GradCheck.Param(1, 1f, B, T, H * d);
        int[] positions = [0, 1, 2, 5, 6, 9];
        var y = Ops.Rotary(x, H, table, positions);
        var expected = new double[x.Size];
        int half = rotaryDim / 2;
        for (int row = 0; row < B * T; row++)
            for (int h = 0; h < H; h++)
            {
                int o = row * H * d + h * d;
                for (int i = 0; i < half; i++)
                {
                    // (x_i + i·x_{i+R/2}) · e^{i·pos·θ^(−2i/R)} in the rotate_half layout.
                    double angle = positions[row] * Math.Pow(theta, -2.0 * i / rotaryDim);
                    double re = x.Span[o + i], im = x.Span[o + i + half];
                    expected[o + i] = re * Math.Cos(angle) - im * Math.Sin(angle);
                    expected[o + i + half] = re * Math.Sin(angle) + im * Math.Cos(angle);
                }
                for (int i = rotaryDim; i < d; i++) expected[o + i] = x.Span[o + i];
            }
        GradCheck.AssertClose("rotary", expected, y.Span, 1e-5);
    }

    [Fact]
    public void Llama3ScaledFrequencies()
    {
        // R = 8, θ = 10⁴: frequencies 1, 0.1, 0.01, 0.001, wavelengths 2π/f = 6.28, 62.8, 628, 6283. With factor 8, low 1,
        // high 4, original length 64: wavelength < 16 keeps f; > 64 divides by 8; 62.8 is smoothed:
        // s = (64/62.83 − 1)/3, f' = (1 − s)·0.1/8 + s·0.1 (values from the Hugging Face formula in float64).
        var table = new RotaryTable(8, 10000, new Llama3RopeScaling(8f, 1f, 4f, 64));
        table.EnsurePositions(2);
        double[] expected = [1.0, 0.013042256043820465, 0.00125, 0.000125];
        var cos = table.Cos(1); var sin = table.Sin(1);
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], Math.Atan2(sin[i], cos[i]), 6);
    }

    [Theory]
    [InlineData(6, 6, false)]
    [InlineData(6, 4, false)]
    [InlineData(8, 8, true)]
    public void Gradients(int d, int rotaryDim, bool llama3)
    {
        var table = new RotaryTable(rotaryDim, 10000, llama3 ? new Llama3RopeScaling(8f, 1f, 4f, 64) : null);
        var x = GradCheck.Param(2, 1f, B, T, H * d);
        int[] positions = [0, 1, 2, 3, 7, 20];
        GradCheck.Check($"rotary d={d} r={rotaryDim}", t => Ops.Rotary(t[0], H, table, positions), [x]);
    }
}
