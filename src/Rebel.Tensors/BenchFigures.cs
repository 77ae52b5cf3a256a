// One measured line of `rebel bench`: the bench's name and its figures in order (numbers, or text and flags for the machine's
// description). The libraries measure; the command line formats (JSON line or table row).
namespace Rebel.Tensors;

/// <summary>The figures of one bench, e.g. ("gemm", [("n", 512), ("gflops", 80.3)]); doubles are reported to <paramref name="Digits"/> decimals.</summary>
/// <param name="Bench">The bench's name ("gemm", "train", "machine", …).</param>
/// <param name="Figures">Named values in order: double, int, long, bool or string.</param>
/// <param name="Digits">Decimals the doubles are rounded to when reported.</param>
public sealed record BenchFigures(string Bench, IReadOnlyList<(string Name, object Value)> Figures, int Digits = 3)
{
    /// <summary>The numeric figure <paramref name="name"/> as a double; KeyNotFoundException if there is none.</summary>
    public double this[string name] =>
        Figures.FirstOrDefault(f => f.Name == name) is { Name: not null } f ? Convert.ToDouble(f.Value, System.Globalization.CultureInfo.InvariantCulture)
            : throw new KeyNotFoundException($"bench {Bench}: no figure '{name}'.");

    /// <summary>The text figure <paramref name="name"/>, or null.</summary>
    public string? Text(string name) => Figures.FirstOrDefault(f => f.Name == name).Value as string;
}
