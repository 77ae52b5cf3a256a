// Images in report.html: PNGs embedded as data: URIs with captions, e.g. grids of samples before and after fine-tuning side by side.
using System.Globalization;
using System.Text;
using Rebel.Training.Images.Data;

namespace Rebel.Training.Reporting;

public static partial class HtmlReport
{
    /// <summary>
    /// Writes the report of <see cref="Write(string, string, IReadOnlyList{ValueTuple{string, string}}, IReadOnlyList{IReadOnlyDictionary{string, double}}, IReadOnlyList{string}, IReadOnlyList{ValueTuple{string, string, float, string}}, string?)"/>
    /// with a section of <paramref name="images"/> (PNG bytes, each with its caption) just before the training curves.
    /// </summary>
    public static void Write(string path, string title, IReadOnlyList<(string Name, string Value)> summary,
        IReadOnlyList<IReadOnlyDictionary<string, double>> rows, IReadOnlyList<string> curves,
        IReadOnlyList<(string Prompt, string Completion, float Score, string? Before)> samples,
        IReadOnlyList<(string Caption, byte[] Png)> images, string imagesHeading = "Samples", string? extraHtml = null) =>
        Write(path, title, summary, rows, curves, samples, ImageSection(imagesHeading, images) + extraHtml);

    /// <summary>
    /// An HTML section: <paramref name="heading"/>, then the PNGs side by side, each as a data:image/png;base64 URI under its
    /// caption, shown <paramref name="scale"/> times larger with crisp pixels. Every PNG is decoded first, so a broken one throws
    /// InvalidDataException here instead of showing as a broken image.
    /// </summary>
    public static string ImageSection(string heading, IReadOnlyList<(string Caption, byte[] Png)> images, int scale = 4)
    {
        ArgumentNullException.ThrowIfNull(heading);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        var sb = new StringBuilder();
        sb.Append("<h2>").Append(E(heading)).Append("</h2><div style=\"display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start\">");
        foreach (var (caption, png) in images)
        {
            var (width, height, _) = Png.Decode(png);
            sb.Append("<figure style=\"margin:0\">")
              .Append(CultureInfo.InvariantCulture, $"<img width=\"{width * scale}\" height=\"{height * scale}\" style=\"image-rendering:pixelated\" alt=\"{E(caption)}\" src=\"data:image/png;base64,")
              .Append(Convert.ToBase64String(png)).Append("\"><figcaption>").Append(E(caption)).Append("</figcaption></figure>");
        }
        sb.Append("</div>");
        return sb.ToString();
    }
}
