// Training of the shape classifier: cross-entropy summed over the three heads, AdamW, and augmentation (shift, blur, noise)
// drawn afresh every step so the classifier also reads the imperfect images a generator makes.
using Rebel.Tensors;
using Rebel.Tensors.Optim;
using Rebel.Training.Images.Data;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Rebel.Training.Images.Rewards;

public sealed partial class ShapeClassifier
{
    /// <summary>
    /// Trains a new classifier for images of side <paramref name="size"/> on <paramref name="data"/> for <paramref name="steps"/>
    /// AdamW steps. Loss = Σ over the heads of the mean cross-entropy. Every image of a batch is shifted, blurred and noised as
    /// <paramref name="options"/> says; everything random comes from <paramref name="seed"/>.
    /// </summary>
    public static ShapeClassifier Train(IReadOnlyList<ShapeImage> data, int size, ulong seed, int steps, ShapeClassifierOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) throw new ArgumentException("ShapeClassifier.Train: no images.", nameof(data));
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        options ??= new ShapeClassifierOptions();
        var rng = new Rng(seed);
        var classifier = new ShapeClassifier(size, options.KernelFor(size), options.StrideFor(size), options.Channels, options.Hidden, rng.Split(), options.Architecture);
        var optimizer = new AdamW(classifier.Parameters, options.LearningRate, weightDecay: options.WeightDecay);
        var schedule = new LrSchedule(LrScheduleKind.Cosine, options.LearningRate, steps, Math.Min(20, steps / 10));
        int inputs = 3 * size * size, batch = options.BatchSize;
        // Standard normal samples drawn once; each image's noise is a window at a random offset (far cheaper than fresh draws).
        var normals = new float[Math.Max(1 << 16, 4 * inputs)];
        rng.FillNormal(normals);
        var targets = new int[HeadClasses.Count][];
        for (int h = 0; h < targets.Length; h++) targets[h] = new int[batch];
        for (int step = 0; step < steps; step++)
        {
            using (var scope = new TensorScope())
            {
                var x = Tensor.Zeros(batch, inputs); // (B, 3·S·S)
                for (int b = 0; b < batch; b++)
                {
                    var image = data[rng.NextInt(data.Count)];
                    if (image.Pixels.Length != inputs) throw new ArgumentException($"ShapeClassifier.Train: an image has {image.Pixels.Length} values, expected 3·{size}·{size}.", nameof(data));
                    Augment(image.Pixels, size, options, rng, normals, x.Span.Slice(b * inputs, inputs));
                    int[] classes = Classes(image.Attributes);
                    for (int h = 0; h < classes.Length; h++) targets[h][b] = classes[h];
                }
                var logits = classifier.Forward(x);
                var loss = Ops.CrossEntropy(logits[0], targets[0]);
                for (int h = 1; h < logits.Length; h++) loss = Ops.Add(loss, Ops.CrossEntropy(logits[h], targets[h]));
                loss.Backward();
            }
            optimizer.LearningRate = schedule.At(step);
            optimizer.Step();
            optimizer.ZeroGrad();
        }
        return classifier;
    }

    /// <summary>
    /// Writes an augmented copy of <paramref name="pixels"/> (3, S, S) into <paramref name="destination"/>: a shift of up to
    /// MaxShift pixels per axis (edges repeated), then with probability BlurProbability a mix (1 − a)·x + a·box3×3(x) with a ~ U(0, 1),
    /// then Gaussian noise of standard deviation ~ U(0, MaxNoiseStd): <paramref name="normals"/> (standard normal samples) read
    /// from a random offset.
    /// </summary>
    internal static void Augment(float[] pixels, int size, ShapeClassifierOptions options, Rng rng, ReadOnlySpan<float> normals, Span<float> destination)
    {
        int dx = rng.NextInt(2 * options.MaxShift + 1) - options.MaxShift;
        int dy = rng.NextInt(2 * options.MaxShift + 1) - options.MaxShift;
        int plane = size * size;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                    destination[c * plane + y * size + x] = pixels[c * plane + Math.Clamp(y - dy, 0, size - 1) * size + Math.Clamp(x - dx, 0, size - 1)];
        if (rng.NextFloat() < options.BlurProbability)
        {
            float a = rng.NextFloat();
            var shifted = destination.ToArray();
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < size; y++)
                    for (int x = 0; x < size; x++)
                    {
                        float sum = 0;
                        for (int v = -1; v <= 1; v++)
                            for (int u = -1; u <= 1; u++)
                                sum += shifted[c * plane + Math.Clamp(y + v, 0, size - 1) * size + Math.Clamp(x + u, 0, size - 1)];
                        int i = c * plane + y * size + x;
                        destination[i] = (1 - a) * shifted[i] + a * sum / 9f;
                    }
        }
        float std = options.MaxNoiseStd * rng.NextFloat();
        var noise = normals.Slice(rng.NextInt(normals.Length - destination.Length + 1), destination.Length);
        TensorPrimitives.MultiplyAdd(noise, std, destination, destination);
    }
}
