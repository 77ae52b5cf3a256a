// The flags of `rebel image train`, generated from the image methods' options records: the names README uses are options of
// the command, typed values land in the chosen record (the sampler's steps and η inside its DdimOptions) over its defaults, and
// a flag of the other method is reported before anything is loaded.
using System.CommandLine;
using Rebel.Cli.Commands;
using Rebel.Models.Diffusion;
using Rebel.Training.Images.Training;

namespace Rebel.Training.Tests.Images;

public class ImageTrainFlagsTests
{
    private static readonly OptionFlags Flags = new([.. ImageTrainCommand.Methods.Select(m => (m.Name, (object)m.Defaults))]);

    private static ParseResult Parse(params string[] args) => OptionFlagsTests.Parse(Flags, args);

    [Fact]
    public void ReadmeFlagNamesAreOptionsOfTheCommand()
    {
        var names = ImageTrainCommand.Create().Options.SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet();
        foreach (var flag in new[] { "--iterations", "--prompts-per-iteration", "--samples-per-prompt", "--steps", "--ddim-eta", "--eta", "--clip-range",
            "--epochs", "--minibatch", "--lr", "--seed", "--checkpoint-every", "--resume", "--classifier", "--kl-coef", "--trained-steps", "--adam-eps" })
            Assert.Contains(flag, names);
    }

    [Fact]
    public void TypedFlagsSetTheRecordAndKeepItsOtherDefaults()
    {
        var parse = Parse("--iterations", "3", "--steps", "4", "--ddim-eta", "0.5", "--eta", "2", "--minibatch", "5", "--lr", "3e-3", "--seed", "9",
            "--kl-coef", "0.1", "--checkpoint-every", "2");
        Assert.Equal(new ImageRebelOptions
        {
            Iterations = 3, Sampler = new DdimOptions { Steps = 4, Eta = 0.5f }, Eta = 2, MiniBatchSize = 5, LearningRate = 3e-3f, Seed = 9, KlCoefficient = 0.1f,
            CheckpointEvery = 2,
        }, Flags.Read(parse, new ImageRebelOptions()));
        var ddpo = Flags.Read(Parse("--clip-range", "0.1", "--epochs", "3"), new DdpoOptions());
        Assert.Equal((0.1f, 3, new DdpoOptions().MiniBatchSize), (ddpo.ClipRange, ddpo.Epochs, ddpo.MiniBatchSize));
    }

    [Fact]
    public void HelpShowsEachMethodsDefault()
    {
        Assert.Contains("rebel 8, ddpo 16", Flags.All.Single(o => o.Name == "--batch-size" && o.Aliases.Contains("--minibatch")).Description, StringComparison.Ordinal);
        Assert.Contains("(ddpo only)", Flags.All.Single(o => o.Name == "--clip-range").Description, StringComparison.Ordinal);
    }

    [Fact]
    public void AFlagOfTheOtherMethodIsReported()
    {
        var run = CliHarness.Run("image", "train", "--model", "no-such-folder", "--algo", "ddpo", "--eta", "2");
        Assert.NotEqual(0, run.Code);
        Assert.Contains("--eta does not apply to --algo ddpo", run.Err, StringComparison.Ordinal);
    }
}
