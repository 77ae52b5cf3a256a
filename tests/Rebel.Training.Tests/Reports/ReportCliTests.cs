using Rebel.Training.Reporting;

namespace Rebel.Training.Tests.Reports;

[Collection("Console")]
public class ReportCliTests
{
    private static void WriteRun(string dir, double score, float learningRate)
    {
        Directory.CreateDirectory(dir);
        var log = MetricsLog.Create(Path.Combine(dir, "metrics.jsonl"));
        for (int i = 1; i <= 3; i++) log.Append(new Dictionary<string, double> { ["iteration"] = i, ["objective/scores"] = score * i });
        Hyperparameters.Write(dir, "rebel", new RebelOptions { LearningRate = learningRate });
    }

    [Fact]
    public void ReportOverlaysRunFoldersNamingTwinsByTheirPath()
    {
        var root = Directory.CreateTempSubdirectory("rebel-report-cli-");
        try
        {
            string a = Path.Combine(root.FullName, "a", "rebel"), b = Path.Combine(root.FullName, "b", "rebel"), out_ = Path.Combine(root.FullName, "out", "both.html");
            WriteRun(a, 0.1, 3e-4f);
            WriteRun(b, 0.2, 1e-3f);
            var (code, stdout, stderr) = CliHarness.Run("report", a, b, "--out", out_);
            Assert.True(code == 0, stderr);
            Assert.Contains("2 runs, 6 metric rows", stdout);
            var html = File.ReadAllText(out_);
            // Both folders are named "rebel": the legend names them by the path typed.
            Assert.Contains($"data-name=\"{a}\" data-xs=\"1,2,3\" data-ys=\"0.1,0.2,0.30000000000000004\"", html);
            Assert.Contains($"data-name=\"{b}\" data-xs=\"1,2,3\" data-ys=\"0.2,0.4,0.6000000000000001\"", html);
            Assert.Contains("<tr class=\"differs\"><th>learning_rate</th><td>0.0003</td><td>0.001</td></tr>", html);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void AFolderWithoutMetricsIsNamedInTheError()
    {
        var root = Directory.CreateTempSubdirectory("rebel-report-cli-");
        try
        {
            var (code, _, stderr) = CliHarness.Run("report", root.FullName, "--out", Path.Combine(root.FullName, "r.html"));
            Assert.Equal(1, code);
            Assert.Contains($"Run folder '{root.FullName}' has no metrics.jsonl", stderr);
            Assert.False(File.Exists(Path.Combine(root.FullName, "r.html")));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
