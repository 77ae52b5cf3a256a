using System.Text.RegularExpressions;
using Rebel.Tensors.Optim;
using Rebel.Training.Images.Training;
using Rebel.Training.Reporting;

namespace Rebel.Training.Tests.Reports;

public class HtmlReportTests
{
    private static List<IReadOnlyDictionary<string, double>> Rows(params double[] scores) =>
        [.. scores.Select((s, i) => (IReadOnlyDictionary<string, double>)new Dictionary<string, double>
        {
            ["iteration"] = i + 1, ["objective/scores"] = s, ["objective/kl"] = 0.1 * i, ["loss/policy_avg"] = 1.0 / (i + 1), ["lr"] = 3e-4,
        })];

    [Fact]
    public void TicksFallOnRoundValuesInsideTheRange()
    {
        Assert.Equal(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"], HtmlReport.Ticks(0, 1, 5).Select(t => t.Label));
        // span 0.026 / 5 = 0.0052 → step 0.005
        Assert.Equal(["-0.495", "-0.490", "-0.485", "-0.480", "-0.475", "-0.470"], HtmlReport.Ticks(-0.4962, -0.4691, 5).Select(t => t.Label));
        Assert.Equal([0, 20, 40, 60, 80, 100], HtmlReport.Ticks(0, 100, 5).Select(t => t.Value));
        Assert.Equal([1, 2], HtmlReport.Ticks(1, 2, 5, integers: true).Select(t => t.Value));
        Assert.Equal(["2E+6", "4E+6"], HtmlReport.Ticks(1.5e6, 5e6, 2).Select(t => t.Label));
        Assert.Empty(HtmlReport.Ticks(1, 1, 5));
    }

    [Fact]
    public void EveryLoggedMetricGetsAChartPinnedOnesFirstTheRestGroupedByPrefix()
    {
        var dir = Directory.CreateTempSubdirectory("rebel-report-");
        try
        {
            var path = Path.Combine(dir.FullName, "report.html");
            HtmlReport.Write(path, "t", [], Rows(0.1, 0.2, 0.4), ["objective/kl"], []);
            var html = File.ReadAllText(path);
            var titles = Regex.Matches(html, "<svg class=\"chart\"[^>]*><title>([^<]*)</title>").Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(["objective/kl", "objective/scores", "loss/policy_avg", "lr"], titles);
            Assert.Equal(["main", "objective", "loss", "other"], Regex.Matches(html, "<h3>([^<]*)</h3>").Select(m => m.Groups[1].Value));
            // The scores line carries its data for the hover read-out and the smoothing slider.
            Assert.Contains("data-name=\"this run\" data-xs=\"1,2,3\" data-ys=\"0.1,0.2,0.4\"", html);
            Assert.Contains("id=\"smoothing\"", html);
            Assert.DoesNotContain("<h2>Hyperparameters</h2>", html); // no hyperparameters.json beside it
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void HyperparametersAreTheSettableOptionsInSnakeCaseAndShowInTheReport()
    {
        var dir = Directory.CreateTempSubdirectory("rebel-report-");
        try
        {
            Hyperparameters.Write(dir.FullName, "rebel", new RebelOptions { LearningRate = 3e-4f, Pairing = PairingMode.AllPairs, Schedule = LrScheduleKind.Constant });
            var entries = Hyperparameters.Read(dir.FullName);
            Assert.Equal(("algorithm", "rebel"), entries[0]);
            Assert.Contains(("learning_rate", "0.0003"), entries);
            Assert.Contains(("pairing", "all-pairs"), entries);
            Assert.Contains(("schedule", "constant"), entries);
            Assert.Contains(("offline_response_field", "null"), entries);
            // Nested records flatten to dotted keys; derived read-only properties are not options.
            Hyperparameters.Write(dir.FullName, "ddpo", new DdpoOptions { SamplerSteps = 7 });
            var ddpo = Hyperparameters.Read(dir.FullName);
            Assert.Contains(("sampler.steps", "7"), ddpo);
            Assert.DoesNotContain(ddpo, e => e.Key == "trained_step_count");

            var path = Path.Combine(dir.FullName, "report.html");
            HtmlReport.Write(path, "t", [], Rows(0.1, 0.2), [], []);
            Assert.Contains("<h2>Hyperparameters</h2>", File.ReadAllText(path));
            Assert.Contains("<th>algorithm</th><td>ddpo</td>", File.ReadAllText(path));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void SeveralRunsOverlayInTheirColoursWithDifferingHyperparametersMarked()
    {
        var a = new ReportRun("a", Rows(0.1, 0.2), [("algorithm", "rebel"), ("learning_rate", "0.0003")]);
        var b = new ReportRun("b", [.. Rows(0.3, 0.5, 0.6).Select(r => (IReadOnlyDictionary<string, double>)r.Where(kv => kv.Key != "lr").ToDictionary())],
            [("algorithm", "rebel"), ("learning_rate", "0.001")]);
        var dir = Directory.CreateTempSubdirectory("rebel-report-");
        try
        {
            var path = Path.Combine(dir.FullName, "both.html");
            HtmlReport.Write(path, [("runs/a", a), ("runs/b", b)]);
            var html = File.ReadAllText(path);
            var scores = Regex.Match(html, "<title>objective/scores</title>.*?</svg>").Value;
            Assert.Contains($"stroke=\"{HtmlReport.Colour(0)}\" stroke-width=\"1.5\" data-name=\"a\" data-xs=\"1,2\" data-ys=\"0.1,0.2\"", scores);
            Assert.Contains($"stroke=\"{HtmlReport.Colour(1)}\" stroke-width=\"1.5\" data-name=\"b\" data-xs=\"1,2,3\" data-ys=\"0.3,0.5,0.6\"", scores);
            // lr: only run a logged it, and its line keeps run a's colour.
            var lr = Regex.Match(html, "<title>lr</title>.*?</svg>").Value;
            Assert.Single(Regex.Matches(lr, "<polyline"));
            Assert.Contains($"stroke=\"{HtmlReport.Colour(0)}\"", lr);
            Assert.Contains("<tr class=\"differs\"><th>learning_rate</th><td>0.0003</td><td>0.001</td></tr>", html);
            Assert.Contains("<tr><th>algorithm</th><td>rebel</td><td>rebel</td></tr>", html);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
