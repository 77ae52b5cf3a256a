// The image quickstart's outputs: the held-out samples before and after fine-tuning as PNG grids (native size, and a 4×
// nearest-neighbour side-by-side comparison), summary.json, and report.html with one before | after row per caption next to
// the alignment and quality measures.
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Rebel.Models.IO;
using Rebel.Training.Images.Data;
using Rebel.Training.Images.Rewards;
using Rebel.Training.Reporting;

namespace Rebel.Training.Images;

public static partial class ImageQuickstart
{
    private const int Scale = 4;

    // samples_before.png / samples_after.png (every third caption, one row each, all its held-out seeds), comparison.png (the
    // same rows, before | after, 4× nearest neighbour), summary.json and report.html.
    private static void WriteOutputs(ImageQuickstartOptions o, ImageQuickstartSummary s, MetricsLog metrics, List<string> captions,
        List<float[]> before, List<float[]> after)
    {
        int per = o.HeldOutPerCaption, size = o.ImageSize;
        var rows = Enumerable.Range(0, captions.Count / per).Where(r => r % 3 == 0).ToList();
        RgbImage Grid(List<float[]> images, IEnumerable<int> which) =>
            ImageGrid.Compose([.. which.SelectMany(r => images.Skip(r * per).Take(per)).Select(i => ShapesDataset.ToRgb(i, size))], size, per);
        byte[] beforePng = Grid(before, rows).ToPng(), afterPng = Grid(after, rows).ToPng();
        var comparison = RgbImages.SideBySide(RgbImages.Upscale(Grid(before, rows), Scale), RgbImages.Upscale(Grid(after, rows), Scale), 8 * Scale).ToPng();
        AtomicFile.Write(Path.Combine(o.OutputDirectory, "samples_before.png"), stream => stream.Write(beforePng));
        AtomicFile.Write(Path.Combine(o.OutputDirectory, "samples_after.png"), stream => stream.Write(afterPng));
        AtomicFile.Write(Path.Combine(o.OutputDirectory, "comparison.png"), stream => stream.Write(comparison));
        AtomicFile.WriteText(Path.Combine(o.OutputDirectory, "summary.json"), Json(o, s).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        string method = o.Algorithm == "ddpo" ? "DDPO" : "REBEL";
        var perCaption = new StringBuilder("<h2>Held-out samples per caption: before | after ").Append(method)
            .Append(" (same noise seeds, ").Append(Scale).Append("× nearest neighbour)</h2><table><tr><th>caption</th><th>before</th><th>after</th></tr>");
        for (int r = 0; r < captions.Count / per; r++)
            perCaption.Append("<tr><td>").Append(System.Net.WebUtility.HtmlEncode(captions[r * per])).Append("</td><td>").Append(Img(Grid(before, [r]).ToPng()))
                .Append("</td><td>").Append(Img(Grid(after, [r]).ToPng())).Append("</td></tr>");
        perCaption.Append("</table>");
        HtmlReport.Write(Path.Combine(o.OutputDirectory, "report.html"), $"rebel image quickstart: shapes, {method} on prompt alignment",
            [("Alignment by the independent judge (conv net, never queried in training), before → after", $"{s.JudgeBefore:F1} → {s.JudgeAfter:F1} % ({s.JudgeAfter - s.JudgeBefore:+0.0;-0.0} points)"),
             ("Alignment by the reward's own classifier, before → after", $"{s.RewardBefore:F1} → {s.RewardAfter:F1} %"),
             ("Fréchet distance to real images (lower is better), before → after", $"{s.QualityBefore?.FrechetDistance:F2} → {s.QualityAfter?.FrechetDistance:F2} (real images: {s.QualityReal?.FrechetDistance:F2})"),
             ("High-frequency energy ÷ real images' (1 = as sharp as real), before → after", $"{s.QualityBefore?.HighFrequencyRatio:F2} → {s.QualityAfter?.HighFrequencyRatio:F2}"),
             ("Shape / colour / background read right (reward classifier), before", Percentages(s.AttributesBefore)), ("After", Percentages(s.AttributesAfter)),
             ("Pretraining steps", $"{s.PretrainSteps}"), ("Pretraining captions' words naming another value than the image shows", s.CaptionNoise is { } noise ? $"{noise:P0} of {Words(s.CaptionNoiseWords!)} words" : "(not pretrained here: a pretrained model was given)"), ("KL coefficient β (reward)", $"{s.KlCoef}"), ("KL coefficient β_L (loss)", $"{s.KlLossCoef}"),
             ("Accuracy on real images: reward classifier / judge", $"{s.ClassifierAccuracy:P1} / {s.JudgeAccuracy:P1}"),
             ("Parameters", $"{s.Parameters:N0}"), ("Seconds", $"{s.Seconds:F0}")],
            metrics.Rows, ["objective/scores", "objective/kl", "loss/kl_avg", "loss/policy_avg", "rebel/residual_abs", "grad_norm"], [],
            [("Before " + method, beforePng), ("After " + method, afterPng)], "Held-out samples before and after (every third caption)", perCaption.ToString());
    }

    private static string Img(byte[] png)
    {
        var (width, height, _) = Png.Decode(png);
        return string.Create(CultureInfo.InvariantCulture, $"<img width=\"{width * Scale}\" height=\"{height * Scale}\" style=\"image-rendering:pixelated\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\">");
    }

    private static JsonObject Json(ImageQuickstartOptions o, ImageQuickstartSummary s) => new()
    {
        ["reward_before"] = s.RewardBefore,
        ["reward_after"] = s.RewardAfter,
        ["judge_before"] = s.JudgeBefore,
        ["judge_after"] = s.JudgeAfter,
        ["frechet_before"] = s.QualityBefore?.FrechetDistance,
        ["frechet_after"] = s.QualityAfter?.FrechetDistance,
        ["frechet_real"] = s.QualityReal?.FrechetDistance,
        ["hf_ratio_before"] = s.QualityBefore?.HighFrequencyRatio,
        ["hf_ratio_after"] = s.QualityAfter?.HighFrequencyRatio,
        ["hf_ratio_real"] = s.QualityReal?.HighFrequencyRatio,
        ["kl_coef"] = s.KlCoef,
        ["kl_loss_coef"] = s.KlLossCoef,
        ["caption_noise"] = s.CaptionNoise,
        ["caption_noise_words"] = s.CaptionNoiseWords is { } words ? new JsonArray([.. words.Select(w => JsonValue.Create(w))]) : null,
        ["seconds"] = s.Seconds,
        ["pretrain_seconds"] = s.PretrainSeconds,
        ["rebel_seconds"] = s.RebelSeconds,
        ["pretrain_steps"] = s.PretrainSteps,
        ["classifier_accuracy"] = s.ClassifierAccuracy,
        ["judge_accuracy"] = s.JudgeAccuracy,
        ["parameters"] = s.Parameters,
        ["held_out"] = s.HeldOut,
        ["seed"] = s.Seed,
        ["algorithm"] = o.Algorithm,
        ["attributes_before"] = Attributes(s.AttributesBefore),
        ["attributes_after"] = Attributes(s.AttributesAfter),
    };

    private static JsonObject? Attributes(AttributeAccuracy? a) =>
        a is null ? null : new JsonObject { ["shape"] = 100 * a.Shape, ["color"] = 100 * a.Color, ["background"] = 100 * a.Background };

    private static string Percentages(AttributeAccuracy? a) => a is null ? "" : $"{100 * a.Shape:F1} / {100 * a.Color:F1} / {100 * a.Background:F1} %";
}
