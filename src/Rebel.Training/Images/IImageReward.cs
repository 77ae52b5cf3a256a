// Stand-in for the imgdata branch's reward contract (replaced by theirs on merge).
namespace Rebel.Training.Images;

/// <summary>Scores images against prompts.</summary>
public interface IImageReward
{
    /// <summary>Name.</summary>
    string Name { get; }

    /// <summary>One score per image.</summary>
    float[] Score(IReadOnlyList<float[]> images, IReadOnlyList<string> prompts, int size);
}
