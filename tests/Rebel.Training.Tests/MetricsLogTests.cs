using Rebel.Training.Reporting;

namespace Rebel.Training.Tests;

public class MetricsLogTests
{
    [Fact]
    public void ReadNamesTheFileAndLineOfABadRow()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rebel-metrics-{Guid.NewGuid():N}.jsonl");
        try
        {
            File.WriteAllText(path, "{\"iteration\":1,\"x\":0.5}\n\n{\"iteration\":2,\"x\":\"high\"}\n");
            var e = Assert.Throws<InvalidDataException>(() => MetricsLog.Read(path));
            Assert.Contains($"{path}:3:", e.Message, StringComparison.Ordinal);
            File.WriteAllText(path, "{\"iteration\":1,\"x\":0.5}\n\n{\"iteration\":2,\"x\":null}\n");
            var rows = MetricsLog.Read(path);
            Assert.Equal(2, rows.Count);
            Assert.Equal(0.5, rows[0]["x"]);
            Assert.True(double.IsNaN(rows[1]["x"]));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ResumeKeepsRowsUpToTheIterationAndRewritesTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rebel-metrics-{Guid.NewGuid():N}.jsonl");
        try
        {
            File.WriteAllText(path, "{\"iteration\":1,\"x\":1}\n{\"iteration\":2,\"x\":2}\n{\"iteration\":3,\"x\":3}\n");
            var log = MetricsLog.Resume(path, keepUpToIteration: 2);
            Assert.Equal(2, log.Rows.Count);
            Assert.Equal("{\"iteration\":1,\"x\":1}\n{\"iteration\":2,\"x\":2}\n", File.ReadAllText(path));
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.tmp-*"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
