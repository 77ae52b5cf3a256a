// Options of the shape classifier's training, each with its default and where it comes from.
namespace Rebel.Training.Images.Rewards;

/// <summary>Options of <see cref="ShapeClassifier.Train"/>. Defaults were tuned on the built-in set at size 16 (see the tests).</summary>
public sealed record ShapeClassifierOptions
{
    /// <summary>
    /// Side of the convolution's square patches. Default null: round(5·S/16), i.e. 3, 5, 10 at sizes 8, 16, 32 (a corner or an edge of a
    /// shape fits in one).
    /// </summary>
    public int? Kernel { get; init; }

    /// <summary>
    /// Step between patches. Default null: max(1, S/8), i.e. 1, 2, 4 at sizes 8, 16, 32, so there are about 6 × 6 patches at every size
    /// (at size 16, stride 2 reads as well as stride 1 in a quarter of the time; shifts in training cover the gaps).
    /// </summary>
    public int? Stride { get; init; }

    /// <summary>The patch side used for images of side <paramref name="size"/>: <see cref="Kernel"/> or its default.</summary>
    public int KernelFor(int size) => Kernel ?? Math.Max(1, (int)Math.Round(5.0 * size / 16, MidpointRounding.AwayFromZero));

    /// <summary>The patch step used for images of side <paramref name="size"/>: <see cref="Stride"/> or its default.</summary>
    public int StrideFor(int size) => Stride ?? Math.Max(1, size / 8);

    /// <summary>
    /// <see cref="ShapeClassifier.PooledPatches"/> (default: the reward's classifier) or <see cref="ShapeClassifier.ConvStack"/> (the
    /// quickstart's independent judge and the feature network of its Fréchet distance).
    /// </summary>
    public string Architecture { get; init; } = ShapeClassifier.PooledPatches;

    /// <summary>Convolution channels. Default 32.</summary>
    public int Channels { get; init; } = 32;

    /// <summary>Width of the hidden layer after pooling. Default 64.</summary>
    public int Hidden { get; init; } = 64;

    /// <summary>Images per step. Default 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Peak AdamW learning rate: 20 warmup steps, then cosine decay to zero. Default 4e-3.</summary>
    public float LearningRate { get; init; } = 4e-3f;

    /// <summary>AdamW weight decay. Default 0.01 (PyTorch).</summary>
    public float WeightDecay { get; init; } = 0.01f;

    /// <summary>
    /// Largest standard deviation of the Gaussian noise added to a training image (drawn uniformly in [0, this] per image), so
    /// imperfect generated images are read sensibly. Default 0.3 (pixels span [-1, 1]).
    /// </summary>
    public float MaxNoiseStd { get; init; } = 0.3f;

    /// <summary>Share of training images blurred by mixing them with their 3 × 3 box average (by a uniform amount). Default 0.5.</summary>
    public float BlurProbability { get; init; } = 0.5f;

    /// <summary>Largest shift in pixels (each axis, edges repeated) applied to a training image. Default 1.</summary>
    public int MaxShift { get; init; } = 1;
}
