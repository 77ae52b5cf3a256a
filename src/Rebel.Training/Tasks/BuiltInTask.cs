// The built-in tasks of `rebel quickstart --task` and `rebel compare --task`: each trains its own starting point from scratch
// (tokenizer, supervised policy, and for rlhf a learned reward model), saves it to a folder, and loads it back for RL.
using System.Text.Json.Nodes;
using Rebel.Models;
using Rebel.Models.Pretrained;
using Rebel.Models.Sampling;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Training.Data;
using Rebel.Training.Rewards;

namespace Rebel.Training.Tasks;

/// <summary>A built-in task: how to build its starting point and what RL on it optimises and is judged by.</summary>
public interface IBuiltInTask
{
    /// <summary>The task's name on the command line ("arithmetic", "rlhf").</summary>
    string Name { get; }

    /// <summary>What held-out evaluation measures, as a summary key ("accuracy", "gold_reward").</summary>
    string HeldOutMetric { get; }

    /// <summary>Seed of the task's data, the supervised model and the reward model.</summary>
    ulong Seed { get; }

    /// <summary>The RL settings of the task's quickstart (the budget every algorithm of `rebel compare` shares).</summary>
    RebelOptions Rebel { get; }

    /// <summary>Trains the starting point and saves it in <paramref name="directory"/> (sft/, reward/ when the task learns one, setup.json).</summary>
    TaskEnvironment Prepare(string directory, IQuickstartProgress progress, CancellationToken cancel = default);

    /// <summary>Loads what <see cref="Prepare"/> saved in <paramref name="directory"/>.</summary>
    TaskEnvironment Load(string directory);
}

/// <summary>Everything RL on a built-in task needs.</summary>
/// <param name="Policy">The starting (supervised) policy.</param>
/// <param name="Tokenizer">Its tokenizer.</param>
/// <param name="Train">Prompts RL draws from.</param>
/// <param name="HeldOut">Prompts never trained on, decoded greedily for evaluation.</param>
/// <param name="Reward">The reward RL optimises (exact answer, or the learned reward model).</param>
/// <param name="HeldOutReward">The reward evaluation reports (exact answer, or the hidden gold scorer).</param>
/// <param name="EvaluationRewards">Rewards logged on every iteration's rollouts without counting as reward queries (the gold scorer).</param>
/// <param name="MaxNewTokens">Completion length limit.</param>
/// <param name="Facts">Numbers about the starting point (supervised steps, reward-model held-out accuracy), as in setup.json.</param>
public sealed record TaskEnvironment(LanguageModel Policy, BpeTokenizer Tokenizer, IReadOnlyList<PromptRecord> Train, IReadOnlyList<PromptRecord> HeldOut,
    IReward Reward, IReward HeldOutReward, IReadOnlyDictionary<string, IReward> EvaluationRewards, int MaxNewTokens, IReadOnlyDictionary<string, double> Facts)
{
    /// <summary>Greedy decoding within the task's length limit.</summary>
    public SamplingOptions Greedy => new() { Temperature = 0, MaxNewTokens = MaxNewTokens, EosTokenIds = Policy.Config.EosTokenIds };

    /// <summary>
    /// Completions drawn per held-out prompt by <see cref="Evaluate"/>: 1 decodes greedily (default); more sample at
    /// <see cref="EvaluationTemperature"/> with a fixed seed, so a handful of prompts still gives a mean that can move by less
    /// than one prompt's worth.
    /// </summary>
    public int EvaluationSamples { get; init; } = 1;

    /// <summary>Sampling temperature of <see cref="Evaluate"/> when <see cref="EvaluationSamples"/> is above 1.</summary>
    public float EvaluationTemperature { get; init; } = 1f;

    /// <summary>
    /// Held-out evaluation of the policy (greedy, or <see cref="EvaluationSamples"/> samples per prompt): the <see cref="HeldOutReward"/>
    /// mean, and when RL optimises another reward, that reward's mean on the same completions as "learned_reward".
    /// </summary>
    public (EvaluationResult HeldOut, double? Learned) Evaluate()
    {
        bool sampled = EvaluationSamples > 1;
        var prompts = sampled ? [.. HeldOut.SelectMany(p => Enumerable.Repeat(p, EvaluationSamples))] : HeldOut;
        var result = Evaluation.Run(Policy, Tokenizer, prompts, HeldOutReward, sampled ? Greedy with { Temperature = EvaluationTemperature } : Greedy, seed: EvaluationSeed);
        if (ReferenceEquals(Reward, HeldOutReward)) return (result, null);
        // the same completions scored by the learned reward (decoding again would repeat the greedy work, or score other samples)
        var queries = result.Samples.Select((s, i) => new RewardQuery(prompts[i], s.Completion, result.EndedWithEos[i])).ToList();
        return (result, Reward.Score(queries).Average(x => (double)x));
    }

    /// <summary>Seed of the sampled held-out evaluation (the same draws for every policy evaluated).</summary>
    public const ulong EvaluationSeed = 4242;
}

/// <summary>Changes to a task's default settings (null keeps the default); tests and quick runs shrink tasks with them.</summary>
public sealed record TaskOverrides
{
    /// <summary>RL iterations.</summary>
    public int? Iterations { get; init; }

    /// <summary>Prompts per RL iteration.</summary>
    public int? PromptsPerIteration { get; init; }

    /// <summary>Completions per prompt in RL.</summary>
    public int? CompletionsPerPrompt { get; init; }

    /// <summary>Most supervised steps.</summary>
    public int? SftSteps { get; init; }

    /// <summary>Held-out prompts.</summary>
    public int? HeldOut { get; init; }

    /// <summary>Gold-labelled pairs for the reward model (rlhf).</summary>
    public int? Pairs { get; init; }

    /// <summary>Where the policy computes (null: the host).</summary>
    public Rebel.Tensors.TensorDevice? Device { get; init; }
}

/// <summary>Task lookup by name and the steps both tasks share.</summary>
public static class BuiltInTasks
{
    /// <summary>Accepted task names.</summary>
    public static readonly string[] Names = ["arithmetic", "rlhf"];

    /// <summary>The task called <paramref name="name"/> with its default settings for <paramref name="seed"/>, changed by <paramref name="overrides"/>.</summary>
    public static IBuiltInTask Create(string name, ulong seed, TaskOverrides? overrides = null)
    {
        var o = overrides ?? new TaskOverrides();
        RebelOptions Budget(RebelOptions d) => d with
        {
            Iterations = o.Iterations ?? d.Iterations, PromptsPerIteration = o.PromptsPerIteration ?? d.PromptsPerIteration,
            CompletionsPerPrompt = o.CompletionsPerPrompt ?? d.CompletionsPerPrompt,
        };
        switch (name)
        {
            case "arithmetic":
                var a = new QuickstartOptions();
                return new ArithmeticTaskSetup(a with { Seed = seed, Device = o.Device ?? a.Device, HeldOut = o.HeldOut ?? a.HeldOut, Sft = a.Sft with { Steps = o.SftSteps ?? a.Sft.Steps }, Rebel = Budget(a.Rebel) });
            case "rlhf":
                var r = new ReviewTaskOptions();
                return new ReviewTaskSetup(r with
                {
                    Seed = seed, Device = o.Device ?? r.Device, HeldOut = o.HeldOut ?? r.HeldOut, Sft = r.Sft with { Steps = o.SftSteps ?? r.Sft.Steps }, Pairs = o.Pairs ?? r.Pairs, Rebel = Budget(r.Rebel),
                });
            default:
                throw new ArgumentException($"Unknown task '{name}'; expected one of {string.Join(", ", Names)}.");
        }
    }

    /// <summary>The supervised policy's folder inside a prepared task folder.</summary>
    public static string SftDirectory(string directory) => Path.Combine(directory, "sft");

    /// <summary>Trains a byte-level BPE tokenizer on <paramref name="texts"/> and creates a fresh GPT-2 of <paramref name="preset"/> for it.</summary>
    public static (BpeTokenizer Tokenizer, LanguageModel Model) FromScratch(IEnumerable<string> texts, int vocabSize, string preset, int maxPositions,
        ulong seed, IQuickstartProgress progress, string? splitPattern = null, Rebel.Tensors.TensorDevice? device = null)
    {
        progress.Phase("tokenizer", 1);
        var tokenizer = BpeTrainer.Train(texts, vocabSize, ["<|endoftext|>"], splitPattern: splitPattern);
        int eos = tokenizer.EosTokenId ?? 0;
        progress.Step(1, $"{tokenizer.VocabSize} tokens");
        var config = ModelConfig.Preset(preset, tokenizer.VocabSize, maxPositions) with { EosTokenIds = [eos], BosTokenId = eos, PadTokenId = eos };
        var model = ModelFactory.Create(config, new Rng(seed));
        if (device is { IsHost: false }) model.ToDevice(device);
        progress.Message($"Model: GPT-2 '{preset}' with {model.ParameterCount:N0} parameters.");
        return (tokenizer, model);
    }

    /// <summary>Saves the supervised policy (sft/) and <paramref name="facts"/> (setup.json) in <paramref name="directory"/>.</summary>
    public static void SaveStart(string directory, LanguageModel policy, BpeTokenizer tokenizer, IReadOnlyDictionary<string, double> facts)
    {
        HfModelSaver.Save(policy, SftDirectory(directory), tokenizer: tokenizer);
        SaveFacts(directory, facts);
    }

    /// <summary>Writes <paramref name="facts"/> as setup.json in <paramref name="directory"/>: the mark of a prepared starting point.</summary>
    public static void SaveFacts(string directory, IReadOnlyDictionary<string, double> facts)
    {
        Directory.CreateDirectory(directory);
        var json = new JsonObject();
        foreach (var (k, v) in facts) json[k] = v;
        Rebel.Models.IO.AtomicFile.WriteText(Path.Combine(directory, "setup.json"), json.ToJsonString() + "\n");
    }

    /// <summary>Loads the supervised policy, its tokenizer and the facts saved by <see cref="SaveStart"/>.</summary>
    public static (LanguageModel Policy, BpeTokenizer Tokenizer, Dictionary<string, double> Facts) LoadStart(string directory, Rebel.Tensors.TensorDevice? device = null)
    {
        var setup = Path.Combine(directory, "setup.json");
        if (!File.Exists(setup)) throw new FileNotFoundException($"'{directory}' holds no prepared task (setup.json missing).", setup);
        var facts = JsonNode.Parse(File.ReadAllText(setup))!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<double>());
        var sft = SftDirectory(directory);
        var policy = HfModelLoader.Load(sft);
        if (device is { IsHost: false }) policy.ToDevice(device);
        return (policy, BpeTokenizer.LoadFolder(sft), facts);
    }
}
