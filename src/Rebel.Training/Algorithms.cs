// The language-model algorithms by name: each one's options record (a record of its defaults) and how to build its trainer.
// `rebel train`, `rebel compare` and library callers look algorithms up here; a new algorithm is its trainer file, its options
// record and one line below (its command-line flags come from the record's properties).
using Rebel.Models;
using Rebel.Models.Tokenization;
using Rebel.Training.Data;
using Rebel.Training.Rewards;

namespace Rebel.Training;

/// <summary>What a language trainer is built from: the policy, its tokenizer, the prompts, a reward (or for REBEL a preference model) and the output folder.</summary>
public sealed record TrainerInputs(LanguageModel Policy, ITokenizer Tokenizer, IReadOnlyList<PromptRecord> Prompts, IReward? Reward, string? OutputDirectory,
    IPreference? Preference = null)
{
    /// <summary>The reward, which every method but REBEL needs.</summary>
    public IReward RequireReward(string algorithm) =>
        Reward ?? throw new ArgumentException($"--algo {algorithm} needs a reward; preference models work with REBEL only.");
}

/// <summary>One algorithm: its name, a record of its default options, and its trainer's constructor.</summary>
public sealed record Algorithm(string Name, LanguagePolicyOptions Defaults, Func<TrainerInputs, LanguagePolicyOptions, LanguagePolicyTrainer> Create)
{
    /// <summary>The algorithm's options record type.</summary>
    public Type OptionsType => Defaults.GetType();

    /// <summary>An algorithm whose options record is <typeparamref name="T"/> (its defaults: <c>new T()</c>).</summary>
    public static Algorithm Of<T>(string name, Func<TrainerInputs, T, LanguagePolicyTrainer> create) where T : LanguagePolicyOptions, new() =>
        new(name, new T(), (inputs, options) => create(inputs, (T)options));
}

/// <summary>The registry of language-model policy algorithms.</summary>
public static class Algorithms
{
    /// <summary>Every algorithm, REBEL first, in the order `rebel compare` runs them.</summary>
    public static IReadOnlyList<Algorithm> All { get; } =
    [
        Algorithm.Of<RebelOptions>("rebel", (i, o) => new RebelTrainer(i.Policy, i.Tokenizer, i.Prompts, i.Reward, o, i.OutputDirectory, i.Preference)),
        Algorithm.Of<PpoOptions>("ppo", (i, o) => new PpoTrainer(i.Policy, i.Tokenizer, i.Prompts, i.RequireReward("ppo"), o, i.OutputDirectory)),
        Algorithm.Of<RlooOptions>("rloo", (i, o) => new RlooTrainer(i.Policy, i.Tokenizer, i.Prompts, i.RequireReward("rloo"), o, i.OutputDirectory)),
        Algorithm.Of<GrpoOptions>("grpo", (i, o) => new GrpoTrainer(i.Policy, i.Tokenizer, i.Prompts, i.RequireReward("grpo"), o, i.OutputDirectory)),
        Algorithm.Of<ReinforceOptions>("reinforce", (i, o) => new ReinforceTrainer(i.Policy, i.Tokenizer, i.Prompts, i.RequireReward("reinforce"), o, i.OutputDirectory)),
        Algorithm.Of<OnlineDpoOptions>("online-dpo", (i, o) => new OnlineDpoTrainer(i.Policy, i.Tokenizer, i.Prompts, i.RequireReward("online-dpo"), o, i.OutputDirectory)),
        Algorithm.Of<ApoOptions>("apo", (i, o) => new ApoTrainer(i.Policy, i.Tokenizer, i.Prompts, i.RequireReward("apo"), o, i.OutputDirectory)),
    ];

    /// <summary>Every algorithm's name.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(a => a.Name)];

    /// <summary>The algorithm called <paramref name="name"/>; ArgumentException listing the known names otherwise.</summary>
    public static Algorithm Find(string name) =>
        All.FirstOrDefault(a => a.Name == name) ?? throw new ArgumentException($"Unknown algorithm '{name}'; expected one of {string.Join(", ", Names)}.");
}
