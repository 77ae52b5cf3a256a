// One resume check over every trainer: a run stopped halfway, checkpointed and resumed into a model with other weights ends with
// exactly the parameters (and, where the trainer logs them, the metrics rows) of the same run left uninterrupted.
using Rebel.Models;
using Rebel.Tensors;
using Rebel.Training.Images.Training;
using Rebel.Training.Reporting;
using Rebel.Training.Rewards;
using Rebel.Training.Tests.Images;

namespace Rebel.Training.Tests;

public class ResumeTests
{
    /// <summary>A trainer as the check drives it: train up to a number of iterations or steps (null: to the end), save, load.</summary>
    public sealed record Run(Action<int?> Train, Action<string> Save, Action<string> Load, IReadOnlyDictionary<string, Tensor> Parameters, Func<MetricsLog?> Metrics);

    /// <summary>Every trainer's name and how far the interrupted run goes before its checkpoint.</summary>
    public static TheoryData<string, int> Trainers => new()
    {
        { "rebel", 2 }, { "ppo", 2 }, { "rloo", 2 }, { "grpo", 2 }, { "reinforce", 2 }, { "online-dpo", 2 }, { "apo", 2 },
        { "image-rebel", 2 }, { "ddpo", 2 }, { "sft", 5 }, { "reward-model", 3 }, { "dpo", 3 },
    };

    [Theory]
    [MemberData(nameof(Trainers))]
    public void ResumedRunEqualsUninterruptedRun(string trainer, int stopAt)
    {
        var dir = Directory.CreateTempSubdirectory($"resume-{trainer}").FullName;
        try
        {
            var full = Create(trainer, modelSeed: null, Path.Combine(dir, "full"));
            full.Train(null);

            var first = Create(trainer, modelSeed: null, Path.Combine(dir, "run"));
            first.Train(stopAt);
            first.Save(Path.Combine(dir, "checkpoint"));

            ResumeAndCompare(trainer, full, dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The language-model policy trainers, whose rewards may be cmd: programs that a Ctrl-C interrupts.</summary>
    public static TheoryData<string> LanguagePolicyTrainers => new() { "rebel", "ppo", "rloo", "grpo", "reinforce", "online-dpo", "apo" };

    // Ctrl-C during a reward program's wait ends Score with OperationCanceledException in the middle of an iteration, after sampling
    // has drawn from the random source and the prompts were taken; the checkpoint written then must resume as the uninterrupted run.
    [Theory]
    [MemberData(nameof(LanguagePolicyTrainers))]
    public void AnInterruptDuringScoringCheckpointsTheStartOfTheIteration(string trainer)
    {
        var dir = Directory.CreateTempSubdirectory($"interrupt-{trainer}").FullName;
        try
        {
            var full = Create(trainer, modelSeed: null, Path.Combine(dir, "full"));
            full.Train(null);

            var interrupted = Create(trainer, modelSeed: null, Path.Combine(dir, "run"), new InterruptedReward(callsBefore: 2));
            Assert.Throws<OperationCanceledException>(() => interrupted.Train(null));
            interrupted.Save(Path.Combine(dir, "checkpoint"));

            ResumeAndCompare(trainer, full, dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // Resumes dir/checkpoint into a model of other weights (everything must come from the checkpoint), trains to the end and
    // compares parameters and metrics rows with the uninterrupted run.
    private static void ResumeAndCompare(string trainer, Run full, string dir)
    {
        var resumed = Create(trainer, modelSeed: 99, Path.Combine(dir, "run"));
        resumed.Load(Path.Combine(dir, "checkpoint"));
        resumed.Train(null);

        foreach (var (name, p) in full.Parameters)
            Assert.True(p.Span.SequenceEqual(resumed.Parameters[name].Span), $"{trainer}: parameter {name} differs after resume");
        if (full.Metrics() is { } expected)
        {
            var rows = resumed.Metrics()!.Rows;
            Assert.Equal(expected.Rows.Count, rows.Count);
            for (int i = 0; i < rows.Count; i++)
                Assert.Equal(Untimed(expected.Rows[i]), Untimed(rows[i]));
        }
    }

    // The letter reward that, like a cmd: program's wait cut short by Ctrl-C, throws OperationCanceledException on call callsBefore + 1.
    private sealed class InterruptedReward(int callsBefore) : IReward
    {
        private readonly TinySetup.LetterReward inner = new();
        private int calls;

        public string Name => inner.Name;

        public float[] Score(IReadOnlyList<RewardQuery> queries) =>
            ++calls > callsBefore ? throw new OperationCanceledException("interrupted") : inner.Score(queries);
    }

    [Fact]
    public void ACheckpointOfAnotherAlgorithmIsRefused()
    {
        var dir = Directory.CreateTempSubdirectory("resume-other").FullName;
        try
        {
            var ppo = Create("ppo", modelSeed: null, null);
            ppo.Train(1);
            ppo.Save(dir);
            var e = Assert.Throws<InvalidDataException>(() => Create("rebel", modelSeed: null, null).Load(dir));
            Assert.Contains("ppo checkpoint, not rebel", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Dictionary<string, double> Untimed(IReadOnlyDictionary<string, double> row) =>
        row.Where(kv => !kv.Key.StartsWith("time/", StringComparison.Ordinal)).ToDictionary();

    private static Run Create(string trainer, ulong? modelSeed, string? dir, IReward? languageReward = null)
    {
        var tok = TinySetup.Tokenizer();
        LanguageModel Model() => modelSeed is { } s ? TinySetup.Model(tok, s) : TinySetup.Model(tok);
        var prompts = TinySetup.Prompts(12);
        var reward = languageReward ?? new TinySetup.LetterReward();
        return trainer switch
        {
            "rebel" => Policy(new RebelTrainer(Model(), tok, prompts, reward, RebelTrainerTests.TinyOptions(4), dir)),
            "ppo" => Policy(new PpoTrainer(Model(), tok, prompts, reward, PpoTrainerTests.TinyOptions(4), dir)),
            "rloo" => Policy(new RlooTrainer(Model(), tok, prompts, reward, RlooTrainerTests.TinyOptions(4), dir)),
            "grpo" => Policy(new GrpoTrainer(Model(), tok, prompts, reward, GrpoTrainerTests.TinyOptions(4), dir)),
            "reinforce" => Policy(new ReinforceTrainer(Model(), tok, prompts, reward, ReinforceTrainerTests.TinyOptions(4), dir)),
            "online-dpo" => Policy(new OnlineDpoTrainer(Model(), tok, prompts, reward, OnlineDpoTrainerTests.TinyOptions(4), dir)),
            "apo" => Policy(new ApoTrainer(Model(), tok, prompts, reward, ApoTrainerTests.TinyOptions(4), dir)),
            "image-rebel" => Image(new ImageRebelTrainer(TinyDiffusion.Model(modelSeed ?? 1), TinyDiffusion.Captions, new TinyDiffusion.Brightness(), ImageTrainerTests.Rebel(4), dir)),
            "ddpo" => Image(new DdpoTrainer(TinyDiffusion.Model(modelSeed ?? 1), TinyDiffusion.Captions, new TinyDiffusion.Brightness(), ImageTrainerTests.Ddpo(4), dir)),
            "sft" => Sft(Model(), tok),
            "reward-model" => RewardModel(Model(), tok),
            "dpo" => Dpo(Model(), tok, dir),
            _ => throw new ArgumentException(trainer),
        };
    }

    private static Run Policy(LanguagePolicyTrainer t) => new(
        n => { while (t.Iteration < (n ?? t.Settings.Iterations)) t.RunIteration(); }, t.SaveCheckpoint, t.LoadCheckpoint, t.Policy.NamedParameters, () => t.Metrics);

    private static Run Image(ImagePolicyTrainer t) =>
        new(n => { while (t.Iteration < (n ?? 4)) t.RunIteration(); }, t.SaveCheckpoint, t.LoadCheckpoint, t.Policy.NamedParameters, () => t.Metrics);

    private static Run Sft(LanguageModel model, Models.Tokenization.BpeTokenizer tok)
    {
        var examples = Enumerable.Range(0, 12).Select(i => new SftExample($"say {i % 7} letters:", " abab cdcd")).ToList();
        var t = new SftTrainer(model, tok, examples, new SftOptions { Steps = 10, BatchSize = 5, LearningRate = 3e-3f, WarmupSteps = 2, Seed = 7 });
        return new(n => t.Train(stopAfter: s => s == n), t.SaveCheckpoint, t.LoadCheckpoint, model.NamedParameters, () => null);
    }

    private static Run RewardModel(LanguageModel model, Models.Tokenization.BpeTokenizer tok)
    {
        var head = new ValueHead(model.Config.HiddenSize);
        head.Initialize(new Rng(2));
        var options = new RewardModelOptions { Epochs = 2, BatchSize = 8, LearningRate = 3e-3f, HeldOutFraction = 0.1, Seed = 4 };
        var t = new RewardModelTrainer(model, head, tok, RewardModelTrainerTests.Pairs(40, seed: 11), options);
        var parameters = model.NamedParameters.Concat(head.NamedParameters).ToDictionary();
        return new(n => t.Train(stopAfter: s => s == n), t.SaveCheckpoint, t.LoadCheckpoint, parameters, () => null);
    }

    private static Run Dpo(LanguageModel model, Models.Tokenization.BpeTokenizer tok, string? dir)
    {
        var t = new DpoTrainer(model, tok, DpoTrainerTests.Pairs(12), new DpoOptions { Beta = 0.5f, Epochs = 2, BatchPairs = 4, LearningRate = 3e-3f, Seed = 5 }, dir);
        return new(n => t.Train(stopAfter: s => s == n), t.SaveCheckpoint, t.LoadCheckpoint, model.NamedParameters, () => t.Metrics);
    }
}
