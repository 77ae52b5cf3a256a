// The attributes of one built-in image (shape, shape colour, background colour) and its caption, "red circle on blue".
namespace Rebel.Training.Images.Data;

/// <summary>
/// One combination of shape, shape colour and background colour, as indices into <see cref="Shapes"/>, <see cref="Colors"/> and
/// <see cref="Backgrounds"/>. Only combinations whose shape colour differs from the background exist (<see cref="All"/>);
/// the constructor throws for any other.
/// </summary>
/// <param name="Shape">Index into <see cref="Shapes"/>.</param>
/// <param name="Color">Index into <see cref="Colors"/>.</param>
/// <param name="Background">Index into <see cref="Backgrounds"/>.</param>
public sealed record ShapeAttributes(int Shape, int Color, int Background)
{
    /// <summary>Shape names, in index order.</summary>
    public static readonly string[] Shapes = ["circle", "square", "triangle"];

    /// <summary>Shape colour names, in index order.</summary>
    public static readonly string[] Colors = ["red", "green", "blue", "yellow"];

    /// <summary>Background colour names, in index order ("blue" is also a shape colour; blue on blue is excluded).</summary>
    public static readonly string[] Backgrounds = ["black", "white", "blue"];

    private static readonly ShapeAttributes[] all = BuildAll();

    /// <summary>Index into <see cref="Shapes"/>.</summary>
    public int Shape { get; } = CheckIndex(Shape, Shapes, "Shape");

    /// <summary>Index into <see cref="Colors"/>.</summary>
    public int Color { get; } = CheckIndex(Color, Colors, "Colour");

    /// <summary>Index into <see cref="Backgrounds"/>; never the same colour as <see cref="Color"/>.</summary>
    public int Background { get; } = CheckBackground(Background, Color);

    /// <summary>Every valid combination in a fixed order: shape, then colour, then background.</summary>
    public static IReadOnlyList<ShapeAttributes> All => all;

    /// <summary>The position of this combination in <see cref="All"/>.</summary>
    public int Index => Array.IndexOf(all, this);

    /// <summary>The caption used as the prompt: "COLOUR SHAPE on BACKGROUND".</summary>
    public string Caption => $"{Colors[Color]} {Shapes[Shape]} on {Backgrounds[Background]}";

    /// <summary>Parses a caption written like <see cref="Caption"/> (case and extra spaces ignored); throws ArgumentException naming the bad word.</summary>
    public static ShapeAttributes Parse(string caption)
    {
        ArgumentNullException.ThrowIfNull(caption);
        var words = caption.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length != 4 || !words[2].Equals("on", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Caption '{caption}' is not of the form 'COLOUR SHAPE on BACKGROUND', e.g. '{all[0].Caption}'.", nameof(caption));
        int color = Find(Colors, words[0], "colour", caption);
        int shape = Find(Shapes, words[1], "shape", caption);
        int background = Find(Backgrounds, words[3], "background", caption);
        if (Colors[color] == Backgrounds[background])
            throw new ArgumentException($"Caption '{caption}': the shape colour '{words[0]}' equals the background '{words[3]}'.", nameof(caption));
        return new ShapeAttributes(shape, color, background);
    }

    private static int Find(string[] names, string word, string what, string caption)
    {
        int i = Array.FindIndex(names, n => n.Equals(word, StringComparison.OrdinalIgnoreCase));
        if (i < 0) throw new ArgumentException($"Caption '{caption}': unknown {what} '{word}'; expected one of {string.Join(", ", names)}.", nameof(caption));
        return i;
    }

    private static int CheckIndex(int index, string[] names, string what) =>
        (uint)index < (uint)names.Length ? index
            : throw new ArgumentOutOfRangeException(what, $"{what} index {index} is not in 0..{names.Length - 1}.");

    private static int CheckBackground(int background, int color)
    {
        CheckIndex(background, Backgrounds, "Background");
        if (Colors[CheckIndex(color, Colors, "Colour")] == Backgrounds[background])
            throw new ArgumentException($"A {Colors[color]} shape on a {Backgrounds[background]} background is not a valid combination.");
        return background;
    }

    private static ShapeAttributes[] BuildAll()
    {
        var list = new List<ShapeAttributes>();
        for (int s = 0; s < Shapes.Length; s++)
            for (int c = 0; c < Colors.Length; c++)
                for (int b = 0; b < Backgrounds.Length; b++)
                    if (Colors[c] != Backgrounds[b]) list.Add(new ShapeAttributes(s, c, b));
        return [.. list];
    }
}
