// The second architecture of the shape classifier, for a judge that shares as little as possible with the reward's: two
// 3 × 3 convolutions (the second of stride 2) and a position-aware flatten in place of one wide patch convolution and
// global pooling.
using Rebel.Tensors;

namespace Rebel.Training.Images.Rewards;

public sealed partial class ShapeClassifier
{
    /// <summary>One K × K patch convolution every Stride pixels, global max and mean pooling, a hidden layer (the reward's classifier).</summary>
    public const string PooledPatches = "pooled-patches";

    /// <summary>
    /// 3 × 3 convolution (C/2 channels) → GELU → 3 × 3 convolution of stride 2 (C channels) → GELU → flatten (no pooling, so
    /// where a feature sits matters) → hidden layer → heads.
    /// </summary>
    public const string ConvStack = "conv-stack";

    private const int ConvKernel = 3;

    private int FirstSide => Size - ConvKernel + 1;

    private int SecondSide => (FirstSide - ConvKernel) / 2 + 1;

    private int FirstChannels => Math.Max(1, Channels / 2);

    private void AddConvStack(Rng rng)
    {
        AddLinear("conv1", FirstChannels, 3 * ConvKernel * ConvKernel, rng);
        AddLinear("conv2", Channels, ConvKernel * ConvKernel * FirstChannels, rng);
        AddLinear("hidden", Hidden, SecondSide * SecondSide * Channels, rng);
    }

    // x (B, 3·S·S) → hidden features (B, H).
    private Tensor ConvStackHidden(Tensor x)
    {
        int batch = x.Shape[0], side1 = FirstSide, side2 = SecondSide, c1 = FirstChannels, k = ConvKernel;
        var first = Ops.Gelu(LinearLayer(Patches(x, k, 1), "conv1")); // (B, side1², C/2)
        // The stride-2 windows of the first map, gathered as rows of (B·side1², C/2) so the gradient flows back through them.
        var rows = new int[batch * side2 * side2 * k * k];
        int n = 0;
        for (int b = 0; b < batch; b++)
            for (int wy = 0; wy < side2; wy++)
                for (int wx = 0; wx < side2; wx++)
                    for (int v = 0; v < k; v++)
                        for (int u = 0; u < k; u++)
                            rows[n++] = b * side1 * side1 + (2 * wy + v) * side1 + 2 * wx + u;
        var windows = Ops.Reshape(Ops.IndexSelect(Ops.Reshape(first, batch * side1 * side1, c1), rows), batch, side2 * side2, k * k * c1); // (B, side2², 9·C/2)
        var second = Ops.Gelu(LinearLayer(windows, "conv2")); // (B, side2², C)
        return Ops.Gelu(LinearLayer(Ops.Reshape(second, batch, side2 * side2 * Channels), "hidden")); // (B, H)
    }
}
