using Rebel.Tensors;
using Rebel.Training.Images.Data;
using Rebel.Training.Images.Rewards;

namespace Rebel.Training.Tests.Images;

public class ImageRewardTests
{
    private const int Size = 16;

    private static float[] Flat() => Enumerable.Repeat(0.3f, 3 * Size * Size).ToArray();

    private static float[] Noise()
    {
        var pixels = new float[3 * Size * Size];
        new Rng(4).FillUniform(pixels, -1f, 1f);
        return pixels;
    }

    [Fact]
    public void FlatImagesAreMoreCompressibleThanNoise()
    {
        string[] prompts = ["red circle on black", "red circle on black"];
        var compress = new CompressibilityReward().Score([Flat(), Noise()], prompts, Size);
        var incompress = new IncompressibilityReward().Score([Flat(), Noise()], prompts, Size);
        Assert.True(compress[0] > compress[1] + 0.3f, $"flat {compress[0]}, noise {compress[1]}");
        Assert.True(incompress[1] > incompress[0] + 0.3f);
        Assert.Equal(-incompress[1], compress[1]);
        Assert.Equal(ShapesDataset.ToPng(Noise(), Size).Length / 1000f, incompress[1]);
    }

    [Fact]
    public void AlignmentPrefersTheImagesOwnCaption()
    {
        var reward = new PromptAlignmentReward(TrainedClassifier.Instance);
        var images = TrainedClassifier.HeldOut(60);
        var pixels = images.Select(i => i.Pixels).ToList();
        var own = reward.Score(pixels, [.. images.Select(i => i.Attributes.Caption)], Size);
        var wrong = reward.Score(pixels, [.. images.Select(i => ShapeAttributes.All[(i.Attributes.Index + 7) % ShapeAttributes.All.Count].Caption)], Size);
        for (int i = 0; i < images.Count; i++) Assert.True(own[i] > wrong[i], $"{images[i].Attributes.Caption}: own {own[i]}, wrong {wrong[i]}");
        Assert.True(own.Average() > 0.9 && wrong.Average() < 0.1, $"own {own.Average()}, wrong {wrong.Average()}");
        Assert.True(reward.Accuracy(pixels, [.. images.Select(i => i.Attributes.Caption)], Size) > 0.95);
        Assert.True(reward.Accuracy(pixels, [.. images.Select(i => ShapeAttributes.All[(i.Attributes.Index + 7) % ShapeAttributes.All.Count].Caption)], Size) < 0.05);
        Assert.Throws<ArgumentException>(() => reward.Score(pixels[..1], ["purple circle on black"], Size));
        Assert.Throws<ArgumentException>(() => reward.Score([new float[3 * 64]], ["red circle on black"], 8));
    }

    [Fact]
    public void AttributesCountEachHeadOnItsOwn()
    {
        var reward = new PromptAlignmentReward(TrainedClassifier.Instance);
        var images = TrainedClassifier.HeldOut(60);
        var pixels = images.Select(i => i.Pixels).ToList();
        var own = reward.Attributes(pixels, [.. images.Select(i => i.Attributes.Caption)], Size);
        Assert.True(own.Shape > 0.95 && own.Color > 0.95 && own.Background > 0.95, $"{own}");
        // The same colour and background with the next shape: only the shape share drops.
        var a = images.Select(i => i.Attributes).ToList();
        var otherShape = reward.Attributes(pixels, [.. a.Select(t => new ShapeAttributes((t.Shape + 1) % 3, t.Color, t.Background).Caption)], Size);
        Assert.True(otherShape.Shape < 0.05 && otherShape.Color > 0.95 && otherShape.Background > 0.95, $"{otherShape}");
        Assert.Equal(0, reward.Attributes([], [], Size).Shape);
    }

    [Fact]
    public void LogAlignmentIsTheLogOfAlignmentFloored()
    {
        var images = TrainedClassifier.HeldOut(20);
        var pixels = images.Select(i => i.Pixels).Append(Noise()).ToList();
        string[] prompts = [.. images.Select(i => i.Attributes.Caption), "red circle on black"];
        var p = new PromptAlignmentReward(TrainedClassifier.Instance).Score(pixels, prompts, Size);
        var log = ImageRewardSpec.Parse("log-alignment", TrainedClassifier.Instance);
        Assert.Equal("log-alignment", log.Name);
        var r = log.Score(pixels, prompts, Size);
        for (int i = 0; i < r.Length; i++) Assert.Equal(MathF.Log(MathF.Max(p[i], LogPromptAlignmentReward.Floor)), r[i], 5);
        // A wrong caption scores far lower, and never below the floor.
        var wrong = log.Score(pixels[..1], [ShapeAttributes.All[(images[0].Attributes.Index + 7) % ShapeAttributes.All.Count].Caption], Size);
        Assert.InRange(wrong[0], MathF.Log(LogPromptAlignmentReward.Floor), r[0] - 2f);
        Assert.Throws<ArgumentException>(() => ImageRewardSpec.Parse("log-alignment", null));
    }

    [Fact]
    public void CommandRewardGetsPngPathsAndPrompts()
    {
        // The program answers with the PNG's size in bytes when its prompt mentions "circle", else with minus it.
        const string Program = """
            while IFS= read -r line; do
              f=$(printf '%s' "$line" | sed 's/.*"image":"\([^"]*\)".*/\1/')
              n=$(wc -c < "$f" | tr -d ' ')
              case "$line" in *circle*) echo "{\"reward\": $n}";; *) echo "{\"reward\": -$n}";; esac
            done
            """;
        string folder;
        using (var reward = (CommandImageReward)ImageRewardSpec.Parse("cmd:" + Program, null))
        {
            var scores = reward.Score([Flat(), Noise()], ["red circle on black", "blue square on white"], Size);
            Assert.Equal(ShapesDataset.ToPng(Flat(), Size).Length, scores[0]);
            Assert.Equal(-ShapesDataset.ToPng(Noise(), Size).Length, scores[1]);
            Assert.Equal(scores, reward.Score([Flat(), Noise()], ["red circle on black", "blue square on white"], Size));
            folder = reward.Folder!;
            Assert.True(Directory.Exists(folder));
            Assert.Empty(Directory.GetFiles(folder));
        }
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void CrashingImageRewardProgramNamesThePrompt()
    {
        using var reward = new CommandImageReward("read line; echo boom >&2; exit 3");
        var e = Assert.Throws<InvalidOperationException>(() => reward.Score([Flat()], ["green triangle on white"], Size));
        Assert.Contains("green triangle on white", e.Message);
        Assert.Contains("boom", e.Message);
    }

    [Fact]
    public void SpecParsesEveryForm()
    {
        Assert.IsType<CompressibilityReward>(ImageRewardSpec.Parse("compressibility", null));
        Assert.IsType<IncompressibilityReward>(ImageRewardSpec.Parse("incompressibility", null));
        Assert.Equal("alignment", ImageRewardSpec.Parse("alignment", new ShapeClassifier(8, 3, 1, 2, 2, new Rng(1))).Name);
        Assert.Contains("classifier", Assert.Throws<ArgumentException>(() => ImageRewardSpec.Parse("alignment", null)).Message);
        Assert.Contains("compressibility", Assert.Throws<ArgumentException>(() => ImageRewardSpec.Parse("jpeg", null)).Message);
        Assert.Throws<ArgumentException>(() => ImageRewardSpec.Parse("cmd: ", null));
        using var cmd = (CommandImageReward)ImageRewardSpec.Parse("cmd:cat", null);
        Assert.Equal("cmd:cat", cmd.Name);
    }
}
