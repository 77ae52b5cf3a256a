// The bridge between the shapes set and the diffusion model: attribute indices as condition ids, and the model size the
// built-in set calls for.
using Rebel.Models.Diffusion;

namespace Rebel.Training.Images.Data;

/// <summary>Condition ids of captions and the matching model config.</summary>
public static class ImageConditions
{
    /// <summary>(shape, colour, background) indices, the order of <see cref="DitConfig.ConditionSizes"/>.</summary>
    public static int[] Of(ShapeAttributes attributes) => [attributes.Shape, attributes.Color, attributes.Background];

    /// <summary>The condition ids of <paramref name="captions"/> laid out (B·3) row by row.</summary>
    public static int[] OfCaptions(IEnumerable<string> captions) => [.. captions.SelectMany(c => Of(ShapeAttributes.Parse(c)))];

    /// <summary>A config whose condition tables fit the shapes set: [shapes, colours, backgrounds].</summary>
    public static DitConfig Config(int imageSize) => new()
    {
        ImageSize = imageSize,
        ConditionSizes = [ShapeAttributes.Shapes.Length, ShapeAttributes.Colors.Length, ShapeAttributes.Backgrounds.Length],
    };
}
