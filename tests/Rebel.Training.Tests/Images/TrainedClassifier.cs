using Rebel.Training.Images.Data;
using Rebel.Training.Images.Rewards;

namespace Rebel.Training.Tests.Images;

/// <summary>One classifier trained once per test run on the built-in set at size 16, shared by the classifier and reward tests.</summary>
internal static class TrainedClassifier
{
    public const int Size = 16;

    private static readonly Lazy<ShapeClassifier> classifier = new(() =>
        ShapeClassifier.Train(ShapesDataset.Generate(seed: 1, count: 4000, Size), Size, seed: 3, steps: 1000));

    public static ShapeClassifier Instance => classifier.Value;

    /// <summary>Held-out images: a seed the training set never used.</summary>
    public static IReadOnlyList<ShapeImage> HeldOut(int count) => ShapesDataset.Generate(seed: 2, count, Size);
}
