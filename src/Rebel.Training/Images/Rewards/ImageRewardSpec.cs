// Parses the image reward named on the command line: alignment, log-alignment, compressibility, incompressibility, cmd:PROGRAM ARGS.
namespace Rebel.Training.Images.Rewards;

/// <summary>Builds an <see cref="IImageReward"/> from its name.</summary>
public static class ImageRewardSpec
{
    /// <summary>The accepted forms, for help texts and errors.</summary>
    public const string Forms =
        "alignment (probability of the prompt's attributes under the shape classifier), log-alignment (its log), compressibility (−PNG kB), " +
        "incompressibility (+PNG kB), cmd:PROGRAM ARGS ({\"image\": path, \"prompt\": …} JSON lines on stdin, {\"reward\": x} lines out)";

    /// <summary>
    /// Parses <paramref name="spec"/>. "alignment" and "log-alignment" need <paramref name="classifier"/>. A cmd: reward owns a process and a temporary
    /// folder: dispose it (it implements IDisposable). Throws ArgumentException listing the forms for an unknown spec.
    /// </summary>
    public static IImageReward Parse(string spec, ShapeClassifier? classifier)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.StartsWith("cmd:", StringComparison.Ordinal)) return new CommandImageReward(spec["cmd:".Length..]);
        return spec switch
        {
            "alignment" => new PromptAlignmentReward(classifier ?? throw new ArgumentException("The alignment reward needs a shape classifier.")),
            "log-alignment" => new LogPromptAlignmentReward(classifier ?? throw new ArgumentException("The log-alignment reward needs a shape classifier.")),
            "compressibility" => new CompressibilityReward(),
            "incompressibility" => new IncompressibilityReward(),
            _ => throw new ArgumentException($"Unknown image reward '{spec}'. Use one of: {Forms}."),
        };
    }
}
