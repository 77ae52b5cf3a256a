// The reward interface for images: a batch of (image, prompt) in, one score per image out.
namespace Rebel.Training.Images.Rewards;

/// <summary>Scores a batch of images, each generated for a prompt.</summary>
public interface IImageReward
{
    /// <summary>A short name for reports ("alignment", "compressibility", "cmd:python3 score.py", …).</summary>
    string Name { get; }

    /// <summary>One reward per image: <paramref name="images"/> are (3, S, S) in [-1, 1] with S = <paramref name="size"/>, one prompt each.</summary>
    float[] Score(IReadOnlyList<float[]> images, IReadOnlyList<string> prompts, int size);
}
