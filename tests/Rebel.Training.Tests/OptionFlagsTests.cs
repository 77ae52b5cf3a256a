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
        Assert.Null(Flags.Misplaced(parse, typeof(RebelOptions), "rebel"));
        Assert.StartsWith("--pairing does not apply to --algo ppo: it is rebel's", Flags.Misplaced(parse, typeof(PpoOptions), "ppo"), StringComparison.Ordinal);
    }

    [Fact]
    public void BaselineFlagsReachTheirRecords()
    {
        var parse = Parse("--minibatch-size", "8", "--gae-lambda", "0.9", "--whiten-advantages", "false", "--epochs", "3");
        var ppo = Flags.Read(parse, new PpoOptions());
        Assert.Equal((8, 0.9f, false, 3), (ppo.MiniBatchSize, ppo.Lambda, ppo.WhitenAdvantages, ppo.Epochs));
        Assert.Equal(new PpoOptions().ClipRange, ppo.ClipRange);
        Assert.StartsWith("--minibatch-size does not apply to --algo rebel", Flags.Misplaced(Parse("--minibatch-size", "8", "--epochs", "3"), typeof(RebelOptions), "rebel"), StringComparison.Ordinal);
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

    // TRL's names (kebab-case here; RebelApp turns --learning_rate into --learning-rate) set the same settings.
    [Fact]
    public void TrlNamesSetTheSameSettings()
    {
        var parse = Parse("--learning-rate", "2e-6", "--num-generations", "4", "--max-completion-length", "20", "--per-device-train-batch-size", "16",
            "--lr-scheduler-type", "cosine", "--epsilon", "0.3", "--num-ppo-epochs", "2", "--adam-epsilon", "1e-7", "--max-grad-norm", "0.5", "--warmup-steps", "3");
        Assert.Null(Flags.Misplaced(parse, typeof(GrpoOptions), "grpo"));
        Assert.Equal(new GrpoOptions
        {
            LearningRate = 2e-6f, CompletionsPerPrompt = 4, MaxNewTokens = 20, MiniBatchSize = 16, Schedule = LrScheduleKind.Cosine, ClipRange = 0.3f, Epochs = 2,
            AdamEpsilon = 1e-7f, MaxGradNorm = 0.5f, WarmupSteps = 3,
        }, Flags.Read(parse, new GrpoOptions()));
        var rebel = Flags.Read(Parse("--batch-size", "4", "--gradient-accumulation-steps", "2"), new RebelOptions());
        Assert.Equal((4, 2), (rebel.MiniBatchPairs, rebel.GradientAccumulation));
        var ppo = Flags.Read(Parse("--cliprange", "0.1", "--cliprange-value", "0.3", "--lam", "0.9", "--kl-coef", "0.02"), new PpoOptions());
        Assert.Equal((0.1f, 0.3f, 0.9f, 0.02f), (ppo.ClipRange, ppo.ValueClipRange, ppo.Lambda, ppo.KlCoefficient));
        Assert.Equal(3, Flags.Read(Parse("--rloo-k", "3"), new RlooOptions()).CompletionsPerPrompt);
    }

    // A name is accepted only by the algorithms it means something for, and the error says what to type instead.
    [Theory]
    [InlineData("grpo", "--beta", "--beta does not apply to --algo grpo: it is online-dpo's", "setting TRL calls beta is --kl-coef")]
    [InlineData("rebel", "--per-device-train-batch-size", "it is ppo, rloo", "rebel's is --batch-size")]
    [InlineData("ppo", "--epsilon", "it is grpo's", "ppo's is --clip-range")]
    [InlineData("grpo", "--rloo-k", "it is rloo's", "grpo's is --completions-per-prompt")]
    public void AnotherAlgorithmsNameIsRefusedWithTheRightOne(string algo, string flag, string whose, string instead)
    {
        var type = Algorithms.Find(algo).OptionsType;
        string? error = Flags.Misplaced(Parse(flag, "4"), type, algo);
        Assert.NotNull(error);
        Assert.Contains(whose, error, StringComparison.Ordinal);
        Assert.Contains(instead, error, StringComparison.Ordinal);
    }

    [Fact]
    public void OneAlgorithmsFlagsShowItsOwnDefaults()
    {
        var grpo = new OptionFlags([("grpo", new GrpoOptions())]);
        string Help(string name) => grpo.All.Single(o => o.Name == name).Description!;
        Assert.EndsWith("[default: 8]", Help("--completions-per-prompt"), StringComparison.Ordinal);
        Assert.EndsWith("[default: 1e-06]", Help("--lr"), StringComparison.Ordinal);
        Assert.EndsWith("[default: 0]", Help("--kl-coef"), StringComparison.Ordinal);
        Assert.DoesNotContain(grpo.All, o => o.Name is "--beta" or "--eta" or "--gae-lambda" or "--pairing");
    }
}
