using System.Text.RegularExpressions;
using Rebel.Training.Images.Data;
using Rebel.Training.Reporting;

namespace Rebel.Training.Tests.Images;

public class HtmlReportImagesTests
{
    [Fact]
    public void ReportEmbedsDecodablePngsWithTheirCaptionsBeforeTheCurves()
    {
        var before = ImageGrid.Compose([.. ShapesDataset.Generate(1, 4, 8).Select(i => ShapesDataset.ToRgb(i.Pixels, 8))], 8, 2);
        var after = ImageGrid.Compose([.. ShapesDataset.Generate(2, 4, 8).Select(i => ShapesDataset.ToRgb(i.Pixels, 8))], 8, 2);
        var dir = Directory.CreateTempSubdirectory("rebel-report-");
        try
        {
            var path = Path.Combine(dir.FullName, "report.html");
            var rows = new List<IReadOnlyDictionary<string, double>> { new Dictionary<string, double> { ["iteration"] = 1, ["reward"] = 0.5 } };
            HtmlReport.Write(path, "images", [("seed", "1")], rows, ["reward"], [],
                [("before <fine-tuning>", before.ToPng()), ("after", after.ToPng())], "Samples for fixed prompts and seeds");
            var html = File.ReadAllText(path);
            var uris = Regex.Matches(html, "src=\"data:image/png;base64,([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(2, uris.Count);
            Assert.Equal(before.Rgb, Png.Decode(Convert.FromBase64String(uris[0])).Rgb);
            Assert.Equal(after.Rgb, Png.Decode(Convert.FromBase64String(uris[1])).Rgb);
            Assert.Contains("before &lt;fine-tuning&gt;", html);
            Assert.Contains($"width=\"{before.Width * 4}\"", html);
            Assert.True(html.IndexOf("Samples for fixed prompts", StringComparison.Ordinal) < html.IndexOf("Training curves", StringComparison.Ordinal));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void ABrokenPngIsRejectedRatherThanEmbedded() =>
        Assert.Throws<InvalidDataException>(() => HtmlReport.ImageSection("x", [("bad", [1, 2, 3])]));
}
