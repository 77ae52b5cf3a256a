// The flags generated from the algorithms' options records: every settable property has one, the names README and scripts use
// still parse, typed values land in the chosen record over its defaults, and flags of other algorithms are reported.
using System.CommandLine;
using Rebel.Cli.Commands;
using Rebel.Tensors.Optim;

namespace Rebel.Training.Tests;

public class OptionFlagsTests
{
    private static readonly OptionFlags Flags = new([.. Algorithms.All.Select(a => (a.Name, (object)a.Defaults))]);

    private static ParseResult Parse(params string[] args) => Parse(Flags, args);

    /// <summary>The parse of <paramref name="args"/> by a command holding <paramref name="flags"/>, asserted free of errors.</summary>
    internal static ParseResult Parse(OptionFlags flags, params string[] args)
    {
        var cmd = new RootCommand();
        foreach (var f in flags.All) cmd.Options.Add(f);
        var parse = cmd.Parse(args);
        Assert.Empty(parse.Errors);
        return parse;
    }

    [Fact]
    public void EveryPropertyOfEveryRecordHasAFlag()
    {
        var names = Flags.All.SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet();
        foreach (var a in Algorithms.All)
            foreach (var p in a.OptionsType.GetProperties().Where(p => p.SetMethod is { IsPublic: true }))
                Assert.Contains("--" + OptionFlags.Kebab(p.Name), names);
    }

    [Fact]
    public void ExistingFlagNamesSetTheChosenRecordAndKeepItsOtherDefaults()
    {
        var parse = Parse("--lr", "1e-3", "--kl-coef", "0.2", "--minibatch-pairs", "3", "--grad-accum", "2", "--adam-eps", "1e-7", "--schedule", "cosine",
            "--pairing", "all-pairs", "--ref-dtype", "bf16", "--offline-field", "ref", "--seed", "9", "--no-eos-score", "-1");
        var rebel = Flags.Read(parse, new RebelOptions());
        Assert.Equal(new RebelOptions
        {
            LearningRate = 1e-3f, KlCoefficient = 0.2f, MiniBatchPairs = 3, GradientAccumulation = 2, AdamEpsilon = 1e-7f, Schedule = LrScheduleKind.Cosine,
            Pairing = PairingMode.AllPairs, ReferenceInBf16 = true, OfflineResponseField = "ref", Seed = 9, NoEosScore = -1,
        }, rebel);
        Assert.Null(Flags.Misplaced(parse, typeof(RebelOptions)));
        Assert.Equal("--pairing", Flags.Misplaced(parse, typeof(PpoOptions))?.Name);
    }

    [Fact]
    public void BaselineFlagsReachTheirRecords()
    {
        var parse = Parse("--minibatch-size", "8", "--gae-lambda", "0.9", "--whiten-advantages", "false", "--epochs", "3");
        var ppo = Flags.Read(parse, new PpoOptions());
        Assert.Equal((8, 0.9f, false, 3), (ppo.MiniBatchSize, ppo.Lambda, ppo.WhitenAdvantages, ppo.Epochs));
        Assert.Equal(new PpoOptions().ClipRange, ppo.ClipRange);
        Assert.Equal("--minibatch-size", Flags.Misplaced(Parse("--minibatch-size", "8", "--epochs", "3"), typeof(RebelOptions))?.Name);
        var dpo = Flags.Read(Parse("--beta", "0.3"), new OnlineDpoOptions());
        Assert.Equal(0.3f, dpo.Beta);
    }

    [Fact]
    public void HelpShowsTheDocumentedDefaultOfEachAlgorithm()
    {
        var kl = Flags.All.Single(o => o.Name == "--kl-coef");
        Assert.Contains("grpo 0", kl.Description, StringComparison.Ordinal); // TRL GRPOConfig beta = 0.0
        Assert.DoesNotContain("grpo 0.04", kl.Description, StringComparison.Ordinal);
        Assert.Contains("online-dpo 0", kl.Description, StringComparison.Ordinal);
        var eta = Flags.All.Single(o => o.Name == "--eta");
        Assert.Contains("(rebel only)", eta.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void AMalformedNumberNamesItsFlag()
    {
        var e = Assert.Throws<ArgumentException>(() => Flags.Read(Parse("--lr", "fast"), new RebelOptions()));
        Assert.Contains("--lr", e.Message, StringComparison.Ordinal);
    }
}
