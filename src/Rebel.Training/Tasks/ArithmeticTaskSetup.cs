// The arithmetic task's starting point: a tokenizer and a small GPT trained from scratch on word problems, supervised training
// stopped once the model is partly right (validation accuracy ≥ the target), so RL against the exact-answer reward has room to improve.
using Rebel.Training.Rewards;

namespace Rebel.Training.Tasks;

/// <summary>The arithmetic word-problem task (<see cref="ArithmeticTask"/>) with the settings of <see cref="QuickstartOptions"/>.</summary>
public sealed class ArithmeticTaskSetup(QuickstartOptions options) : IBuiltInTask
{
    /// <summary>The settings in force.</summary>
    public QuickstartOptions Options { get; } = options;

    /// <inheritdoc/>
    public string Name => "arithmetic";

    /// <inheritdoc/>
    public string HeldOutMetric => "accuracy";

    /// <inheritdoc/>
    public ulong Seed => Options.Seed;

    /// <inheritdoc/>
    public RebelOptions Rebel => Options.Rebel;

    /// <inheritdoc/>
    public TaskEnvironment Prepare(string directory, IQuickstartProgress progress, CancellationToken cancel = default)
    {
        var o = Options;
        Directory.CreateDirectory(directory);
        var (train, heldOut) = ArithmeticTask.Generate(o.Seed, o.HeldOut);
        progress.Message($"Task: {train.Count} training and {heldOut.Count} held-out arithmetic word problems (seed {o.Seed}).");
        var (tokenizer, model) = BuiltInTasks.FromScratch(train.Select(p => p.Prompt + p.Completion), o.VocabSize, o.Preset, 64, o.Seed, progress,
            Models.Tokenization.BpeTrainer.DigitSplitPattern, o.Device);
        var env = Environment(model, tokenizer, train, heldOut, new Dictionary<string, double>());
        var validation = train.Take(o.Validation).Select((p, i) => p.ToRecord($"validation:{i + 1}")).ToList();
        progress.Phase("sft", o.Sft.Steps);
        double validationAccuracy = 0;
        var sft = new SftTrainer(model, tokenizer, [.. train.Skip(o.Validation).Select(p => new SftExample(p.Prompt, p.Completion))], o.Sft with { Seed = o.Seed })
        {
            StepCompleted = (step, loss) => progress.Step(step, $"loss {loss:F3} validation {validationAccuracy:P0}"),
        };
        // "Partly right": stop supervised training once validation accuracy reaches the target, so RL has room to improve.
        sft.Train(cancel, step =>
        {
            if (step % o.ValidateEvery != 0) return false;
            validationAccuracy = Evaluation.Run(model, tokenizer, validation, env.HeldOutReward, env.Greedy).MeanScore;
            return validationAccuracy >= o.SftTargetAccuracy;
        });
        progress.Message($"Supervised training stopped after {sft.StepsTaken} steps (validation accuracy {validationAccuracy:P1}).");
        var facts = new Dictionary<string, double>
        {
            ["sft_steps"] = sft.StepsTaken, ["sft_validation_accuracy"] = validationAccuracy,
        };
        BuiltInTasks.SaveStart(directory, model, tokenizer, facts);
        return env with { Facts = facts };
    }

    /// <inheritdoc/>
    public TaskEnvironment Load(string directory)
    {
        var (model, tokenizer, facts) = BuiltInTasks.LoadStart(directory, Options.Device);
        var (train, heldOut) = ArithmeticTask.Generate(Options.Seed, Options.HeldOut);
        return Environment(model, tokenizer, train, heldOut, facts);
    }

    private TaskEnvironment Environment(Models.LanguageModel model, Models.Tokenization.BpeTokenizer tokenizer, List<ArithmeticProblem> train,
        List<ArithmeticProblem> heldOut, IReadOnlyDictionary<string, double> facts)
    {
        var exact = new ExactReward();
        return new TaskEnvironment(model, tokenizer, [.. train.Select((p, i) => p.ToRecord($"train:{i + 1}"))],
            [.. heldOut.Select((p, i) => p.ToRecord($"held-out:{i + 1}"))], exact, exact, new Dictionary<string, IReward>(), Options.Rebel.MaxNewTokens, facts);
    }
}
