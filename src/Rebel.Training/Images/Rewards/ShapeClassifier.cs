// A small classifier that reads shape, colour and background of a built-in image: one convolution (as a Linear over image patches),
// global max and mean pooling, a hidden layer and three softmax heads, all on our own engine. It is the judge of the
// prompt-alignment reward, so it is trained on shifted, noisy and blurred images too.
using System.Globalization;
using Rebel.Models.IO;
using Rebel.Tensors;
using Rebel.Training.Checkpointing;
using Rebel.Training.Images.Data;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Rebel.Training.Images.Rewards;

/// <summary>
/// Reads <see cref="ShapeAttributes"/> from (3, S, S) pixels, clamped to [-1, 1] first (what an 8-bit image of them shows, so values
/// out of range cannot sway it): K × K patches (B, P, 3·K·K) → GELU(Linear) = a strided convolution with C
/// channels (B, P, C) → max and mean over the P positions (B, 2C), translation invariant → GELU(Linear) (B, H) → three linear heads
/// (shape, colour, background), each a softmax over its attribute's names.
/// </summary>
public sealed partial class ShapeClassifier
{
    private const string Format = "rebel-shape-classifier";

    private readonly Dictionary<string, Tensor> parameters = new(StringComparer.Ordinal);

    /// <summary>Number of classes of each head, in head order: shape, colour, background.</summary>
    public static IReadOnlyList<int> HeadClasses { get; } = [ShapeAttributes.Shapes.Length, ShapeAttributes.Colors.Length, ShapeAttributes.Backgrounds.Length];

    private static readonly string[] HeadNames = ["shape", "color", "background"];

    /// <summary>
    /// A classifier for images of side <paramref name="size"/> with <paramref name="kernel"/> × <paramref name="kernel"/> patches every
    /// <paramref name="stride"/> pixels, <paramref name="channels"/> convolution channels and <paramref name="hidden"/> hidden units;
    /// weights drawn from <paramref name="rng"/> (normal, std 1/√fan-in; zero biases). <see cref="Train"/> picks these from its options.
    /// </summary>
    public ShapeClassifier(int size, int kernel, int stride, int channels, int hidden, Rng rng)
        : this(size, kernel, stride, channels, hidden, rng, PooledPatches)
    {
    }

    /// <summary>
    /// A classifier of <paramref name="architecture"/> <see cref="PooledPatches"/> (the constructor above) or <see cref="ConvStack"/>
    /// (two 3 × 3 convolutions, the second of stride 2, flattened: <paramref name="kernel"/> and <paramref name="stride"/> are then unused).
    /// </summary>
    public ShapeClassifier(int size, int kernel, int stride, int channels, int hidden, Rng rng, string architecture)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, ShapesDataset.MinSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, ShapesDataset.MaxSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(kernel, size);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        ArgumentNullException.ThrowIfNull(rng);
        Size = size;
        Kernel = kernel;
        Stride = stride;
        Channels = channels;
        Hidden = hidden;
        Architecture = architecture;
        if (architecture == ConvStack) AddConvStack(rng);
        else if (architecture == PooledPatches)
        {
            AddLinear("conv", channels, 3 * kernel * kernel, rng);
            AddLinear("hidden", hidden, 2 * channels, rng);
        }
        else throw new ArgumentException($"ShapeClassifier: unknown architecture '{architecture}'; expected {PooledPatches} or {ConvStack}.", nameof(architecture));
        for (int h = 0; h < HeadNames.Length; h++) AddLinear($"head.{HeadNames[h]}", HeadClasses[h], hidden, rng);
    }

    /// <summary>Image side the classifier reads.</summary>
    public int Size { get; }

    /// <summary>The architecture: <see cref="PooledPatches"/> or <see cref="ConvStack"/>.</summary>
    public string Architecture { get; }

    /// <summary>Side of the square patches of the convolution.</summary>
    public int Kernel { get; }

    /// <summary>Step in pixels between neighbouring patches.</summary>
    public int Stride { get; }

    /// <summary>Convolution channels.</summary>
    public int Channels { get; }

    /// <summary>Hidden width.</summary>
    public int Hidden { get; }

    /// <summary>Parameters in creation order, named like "conv.weight", "head.shape.bias".</summary>
    public IReadOnlyList<Tensor> Parameters => [.. parameters.Values];

    private void AddLinear(string name, int outFeatures, int inFeatures, Rng rng)
    {
        var weight = Tensor.Parameter([outFeatures, inFeatures], name + ".weight");
        rng.FillNormal(weight.Span, 0f, 1f / MathF.Sqrt(inFeatures));
        parameters[weight.Name!] = weight;
        parameters[name + ".bias"] = Tensor.Parameter([outFeatures], name + ".bias");
    }

    private Tensor LinearLayer(Tensor x, string name) => Ops.Linear(x, parameters[name + ".weight"], parameters[name + ".bias"]);

    /// <summary>
    /// Logits of each head for a batch x (B, 3·S·S): shape (B, 3), colour (B, 4), background (B, 3). The pixels are read as data
    /// (no gradient flows back to <paramref name="x"/>).
    /// </summary>
    public Tensor[] Forward(Tensor x)
    {
        var h = HiddenLayer(x); // (B, H)
        return [.. HeadNames.Select(name => LinearLayer(h, $"head.{name}"))];
    }

    // The hidden features (B, H) of a batch x (B, 3·S·S), before the heads.
    private Tensor HiddenLayer(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (Architecture == ConvStack) return ConvStackHidden(x);
        var patches = Patches(x, Kernel, Stride); // (B, P, 3·K·K)
        var features = Ops.Gelu(LinearLayer(patches, "conv")); // (B, P, C)
        var pooled = Ops.Concat([Ops.Max(features, 1), Ops.Mean(features, 1)], 1); // (B, 2C)
        return Ops.Gelu(LinearLayer(pooled, "hidden")); // (B, H)
    }

    // K × K windows of every image at every Stride-th valid position: x (B, 3·S·S) → (B, P, 3·K·K), P = ((S − K) / Stride + 1)²;
    // feature c·K·K + v·K + u of window (wy, wx) is pixel (c, Stride·wy + v, Stride·wx + u), clamped to [-1, 1].
    private Tensor Patches(Tensor x, int k, int stride)
    {
        int s = Size, side = (s - k) / stride + 1, positions = side * side, features = 3 * k * k;
        if (x.Rank != 2 || x.Shape[1] != 3 * s * s) throw new ArgumentException($"ShapeClassifier: input {Tensor.Format(x.Shape)} is not (B, 3·{s}·{s}).", nameof(x));
        int batch = x.Shape[0];
        var patches = Tensor.Zeros(batch, positions, features);
        var source = x.Span;
        var destination = patches.Span;
        for (int b = 0; b < batch; b++)
            for (int wy = 0; wy < side; wy++)
                for (int wx = 0; wx < side; wx++)
                {
                    var row = destination.Slice(((b * positions) + wy * side + wx) * features, features);
                    for (int c = 0; c < 3; c++)
                        for (int v = 0; v < k; v++)
                            source.Slice(b * 3 * s * s + c * s * s + (stride * wy + v) * s + stride * wx, k).CopyTo(row.Slice(c * k * k + v * k, k));
                }
        TensorPrimitives.Min(destination, 1f, destination);
        TensorPrimitives.Max(destination, -1f, destination);
        return patches;
    }

    /// <summary>
    /// Softmax probabilities of each head, in head order (shape, colour, background): element h is (B, K_h) row-major, so the
    /// probability that image b shows class k of head h is result[h][b·K_h + k].
    /// </summary>
    public float[][] Probabilities(IReadOnlyList<float[]> images)
    {
        var result = new float[HeadClasses.Count][];
        for (int h = 0; h < result.Length; h++) result[h] = new float[images.Count * HeadClasses[h]];
        ForEachChunk(images, (start, count, x) =>
        {
            var logits = Forward(x);
            for (int h = 0; h < logits.Length; h++)
            {
                int k = HeadClasses[h];
                var probs = Ops.Softmax(logits[h]).Span; // (B, K)
                probs[..(count * k)].CopyTo(result[h].AsSpan(start * k));
            }
        });
        return result;
    }

    /// <summary>The hidden-layer activations (the features the heads read), <see cref="Hidden"/> values per image.</summary>
    public float[][] Features(IReadOnlyList<float[]> images)
    {
        var result = new float[images.Count][];
        ForEachChunk(images, (start, count, x) =>
        {
            var h = HiddenLayer(x).Span; // (B, H)
            for (int b = 0; b < count; b++) result[start + b] = h.Slice(b * Hidden, Hidden).ToArray();
        });
        return result;
    }

    // Calls read(start, count, x) for chunks of up to 256 images copied into x (count, 3·S·S), without gradients.
    private void ForEachChunk(IReadOnlyList<float[]> images, Action<int, int, Tensor> read)
    {
        ArgumentNullException.ThrowIfNull(images);
        int inputs = 3 * Size * Size;
        const int Chunk = 256;
        for (int start = 0; start < images.Count; start += Chunk)
        {
            int count = Math.Min(Chunk, images.Count - start);
            using var scope = new TensorScope();
            using var noGrad = Autograd.NoGrad();
            var x = Tensor.Zeros(count, inputs); // (B, 3·S·S)
            for (int b = 0; b < count; b++)
            {
                var image = images[start + b];
                if (image.Length != inputs) throw new ArgumentException($"ShapeClassifier: image {start + b} has {image.Length} values, expected 3·{Size}·{Size} = {inputs}.", nameof(images));
                image.CopyTo(x.Span.Slice(b * inputs, inputs));
            }
            read(start, count, x);
        }
    }

    /// <summary>Probabilities for images given as <see cref="ShapeImage"/>s.</summary>
    public float[][] Probabilities(IReadOnlyList<ShapeImage> images) =>
        Probabilities([.. images.Select(i => i.Pixels)]);

    /// <summary>
    /// The probability that each image shows its target: the PRODUCT of the three heads' probabilities of the target's shape,
    /// colour and background (the heads treated as independent), so it is high only when all three attributes are read right.
    /// </summary>
    public double[] AlignmentProbabilities(IReadOnlyList<float[]> images, IReadOnlyList<ShapeAttributes> targets)
    {
        CheckTargets(images, targets);
        var probs = Probabilities(images);
        var result = new double[images.Count];
        for (int b = 0; b < images.Count; b++)
        {
            int[] wanted = Classes(targets[b]);
            double p = 1;
            for (int h = 0; h < wanted.Length; h++) p *= probs[h][b * HeadClasses[h] + wanted[h]];
            result[b] = p;
        }
        return result;
    }

    /// <summary>The alignment probability of one image (see <see cref="AlignmentProbabilities"/>).</summary>
    public double AlignmentProbability(float[] pixels, ShapeAttributes target) => AlignmentProbabilities([pixels], [target])[0];

    /// <summary>The most probable class of each head for each image: (shape, colour, background) indices.</summary>
    public (int Shape, int Color, int Background)[] Predict(IReadOnlyList<float[]> images)
    {
        var probs = Probabilities(images);
        var result = new (int, int, int)[images.Count];
        for (int b = 0; b < images.Count; b++)
        {
            int Argmax(int h) => ArgMax(probs[h].AsSpan(b * HeadClasses[h], HeadClasses[h]));
            result[b] = (Argmax(0), Argmax(1), Argmax(2));
        }
        return result;
    }

    /// <summary>For each image, whether the argmax of all three heads equals its target's attributes.</summary>
    public bool[] ReadsAs(IReadOnlyList<float[]> images, IReadOnlyList<ShapeAttributes> targets)
    {
        CheckTargets(images, targets);
        var predicted = Predict(images);
        return [.. predicted.Select((p, b) => p == (targets[b].Shape, targets[b].Color, targets[b].Background))];
    }

    /// <summary>Whether the argmax of all three heads equals <paramref name="target"/>'s shape, colour and background.</summary>
    public bool ReadsAs(float[] pixels, ShapeAttributes target) => ReadsAs([pixels], [target])[0];

    /// <summary>Share of images (0..1) that the classifier reads as their target (<see cref="ReadsAs(IReadOnlyList{float[]}, IReadOnlyList{ShapeAttributes})"/>).</summary>
    public double Accuracy(IReadOnlyList<float[]> images, IReadOnlyList<ShapeAttributes> targets) =>
        images.Count == 0 ? 0 : ReadsAs(images, targets).Count(ok => ok) / (double)images.Count;

    /// <summary>Writes the weights (F32) and the sizes (metadata) to a safetensors file, atomically.</summary>
    public void Save(string path)
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["size"] = Size.ToString(CultureInfo.InvariantCulture),
            ["kernel"] = Kernel.ToString(CultureInfo.InvariantCulture),
            ["stride"] = Stride.ToString(CultureInfo.InvariantCulture),
            ["channels"] = Channels.ToString(CultureInfo.InvariantCulture),
            ["hidden"] = Hidden.ToString(CultureInfo.InvariantCulture),
            ["architecture"] = Architecture,
        };
        SafetensorsWriter.Write(path, TensorData.FromNamed(parameters.Values), metadata: metadata);
    }

    /// <summary>Reads a classifier written by <see cref="Save"/>; throws InvalidDataException when the file is not one.</summary>
    public static ShapeClassifier Load(string path)
    {
        using var reader = SafetensorsReader.Open(path);
        int Number(string key) => int.TryParse(reader.Metadata.GetValueOrDefault(key), CultureInfo.InvariantCulture, out int n) ? n
            : throw new InvalidDataException($"{path}: not a shape classifier (metadata '{key}' is missing or not a number).");
        if (reader.Metadata.GetValueOrDefault("format") != Format)
            throw new InvalidDataException($"{path}: not a shape classifier (expected metadata format={Format}).");
        var classifier = new ShapeClassifier(Number("size"), Number("kernel"), Number("stride"), Number("channels"), Number("hidden"), new Rng(0),
            reader.Metadata.GetValueOrDefault("architecture") ?? PooledPatches);
        WeightFile.LoadParameters(classifier.parameters, path);
        return classifier;
    }

    internal static int[] Classes(ShapeAttributes a) => [a.Shape, a.Color, a.Background];

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static void CheckTargets(IReadOnlyList<float[]> images, IReadOnlyList<ShapeAttributes> targets)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(targets);
        if (images.Count != targets.Count) throw new ArgumentException($"ShapeClassifier: {images.Count} images but {targets.Count} targets.");
    }
}
