// report.html as a person sees it: opened in headless Chromium (Debian's chromium package; .ci/run installs it), driven over the
// DevTools protocol by PuppeteerSharp, with real mouse moves. Checks that the charts render, that no script error occurs, and that
// hovering shows the values and the smoothing slider changes them.
using System.Globalization;
using PuppeteerSharp;
using Rebel.Training.Reporting;

namespace Rebel.Training.Tests.Reports;

public class ReportBrowserTests
{
    [ChromiumFact]
    public async Task ChartsRenderWithoutScriptErrorsAndHoverShowsRawAndSmoothedValues()
    {
        var dir = Directory.CreateTempSubdirectory("rebel-browser-");
        try
        {
            var log = MetricsLog.Create(Path.Combine(dir.FullName, "metrics.jsonl"));
            double[] scores = [0.1, 0.2, 0.4, 0.35, 0.5];
            for (int i = 0; i < scores.Length; i++)
                log.Append(new Dictionary<string, double> { ["iteration"] = i + 1, ["objective/scores"] = scores[i], ["objective/kl"] = 0.01 * i, ["lr"] = 3e-4 * (1 - i / 5.0) });
            var rows = log.Rows;
            Hyperparameters.Write(dir.FullName, "rebel", new RebelOptions());
            string single = Path.Combine(dir.FullName, "report.html"), both = Path.Combine(dir.FullName, "both.html");
            HtmlReport.Write(single, "browser test", [("seed", "1")], rows, ["objective/scores"], [("Q: 1+1", "2", 1f, "3")]);
            var other = new ReportRun("other", [.. rows.Select(r => (IReadOnlyDictionary<string, double>)r.ToDictionary(kv => kv.Key, kv => kv.Key == "objective/scores" ? kv.Value + 1 : kv.Value))], []);
            HtmlReport.Write(both, [("a", ReportRun.Load(dir.FullName, "this")), ("b", other)]);

            await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
            {
                Headless = true, ExecutablePath = ChromiumFactAttribute.Chromium ?? throw new InvalidOperationException("chromium is not installed; .ci/run installs it (apt-get install chromium)."),
                UserDataDir = Path.Combine(dir.FullName, "profile"),
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            await using var page = await browser.NewPageAsync();
            var errors = new List<string>();
            page.PageError += (_, e) => errors.Add(e.Message);
            page.Console += (_, e) => { if (e.Message.Type == ConsoleType.Error) errors.Add(e.Message.Text); };
            await page.SetViewportAsync(new ViewPortOptions { Width = 1200, Height = 800 });

            await page.GoToAsync(new Uri(single).AbsoluteUri);
            // One chart per metric, every line drawn with a visible extent.
            Assert.Equal(3, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('svg.chart').length"));
            var widths = await page.EvaluateExpressionAsync<double[]>("[...document.querySelectorAll('svg.chart polyline.line')].map(p => p.getBoundingClientRect().width)");
            Assert.Equal(3, widths.Length);
            Assert.All(widths, w => Assert.True(w > 100, $"a line {w} px wide"));

            Assert.Equal("iteration 3this run: 0.4", await HoverText(page, "objective/scores", 3));
            Assert.Equal("iteration 5this run: 0.5", await HoverText(page, "objective/scores", 4.8)); // the nearest iteration
            // Smoothing 0.5, TensorBoard's debiased EMA at iteration 3: (0.25·0.1 + 0.5·0.2 + 0.4)/2 / (1 − 0.5³) = 0.2625 / 0.875 = 0.3.
            await page.EvaluateExpressionAsync("(() => { const s = document.getElementById('smoothing'); s.value = '0.5'; s.dispatchEvent(new Event('input')); })()");
            Assert.Equal("0.50", await page.EvaluateExpressionAsync<string>("document.getElementById('smoothing-value').textContent"));
            Assert.Equal("iteration 3this run: 0.4 (smoothed 0.3)", await HoverText(page, "objective/scores", 3));
            Assert.Equal("0.25", await page.EvaluateExpressionAsync<string>("document.querySelector('polyline.line').style.opacity"));

            await page.GoToAsync(new Uri(both).AbsoluteUri);
            Assert.Equal("iteration 2this: 0.2other: 1.2", await HoverText(page, "objective/scores", 2));
            Assert.Empty(errors);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    // Moves the mouse over the chart titled `title` at x = `x` (data units, mid-height) and returns the read-out's text ("" when hidden).
    private static async Task<string> HoverText(IPage page, string title, double x)
    {
        var at = await page.EvaluateExpressionAsync<double[]>(string.Create(CultureInfo.InvariantCulture, $$"""
            (() => {
              const svg = [...document.querySelectorAll('svg.chart')].find(s => s.querySelector('title').textContent === '{{title}}');
              svg.scrollIntoView();
              const sx = svg.getAttribute('data-sx').split(',').map(Number), box = svg.getBoundingClientRect();
              const px = sx[2] + ({{x}} - sx[0]) / (sx[1] - sx[0]) * (sx[3] - sx[2]);
              return [box.left + px * box.width / svg.viewBox.baseVal.width, box.top + box.height / 2];
            })()
            """));
        await page.Mouse.MoveAsync((decimal)at[0], (decimal)at[1]);
        return await page.EvaluateExpressionAsync<string>("(() => { const t = document.querySelector('.tip'); return t.style.display === 'block' ? t.textContent : ''; })()");
    }
}

/// <summary>
/// A fact that needs Debian's chromium: skipped, with the reason shown, where it is not installed, except on CI (CI=true), where .ci/run
/// installs it and its absence is a failure.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>The chromium executable: /usr/bin/chromium, else chromium on PATH, else null.</summary>
    public static string? Chromium { get; } = new[] { "/usr/bin/chromium" }
        .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, "chromium"))).FirstOrDefault(File.Exists);

    /// <summary>Sets <see cref="FactAttribute.Skip"/> when chromium is missing outside CI.</summary>
    public ChromiumFactAttribute()
    {
        if (Chromium is null && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "chromium not found: install Debian's chromium (apt-get install chromium) to run the report's browser test.";
    }
}
