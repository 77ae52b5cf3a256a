// What one (algorithm, seed) run of `rebel compare` measured (result.json) and what its seed's starting point scored (start.json),
// and the trainer of each algorithm under the comparison's shared budget. The CLI runs each pair in a child process.
using System.Text.Json;
using Rebel.Training.Tasks;

namespace Rebel.Training.Compare;

/// <summary>Greedy held-out figures of a seed's starting point (start.json), before any RL.</summary>
/// <param name="HeldOut">As <see cref="CompareResult.HeldOut"/>.</param>
/// <param name="HeldOutLearnedReward">As <see cref="CompareResult.HeldOutLearnedReward"/>.</param>
public sealed record StartResult(double HeldOut, double? HeldOutLearnedReward)
{
    /// <summary>File name inside the seed's setup folder.</summary>
    public const string FileName = "start.json";
}

/// <summary>What one run measured (result.json, snake_case).</summary>
/// <param name="Algorithm">The algorithm.</param>
/// <param name="Seed">The seed.</param>
/// <param name="Iterations">Iterations run.</param>
/// <param name="RewardQueries">Completions scored by the training reward.</param>
/// <param name="FinalReward">Mean training-reward score of the rollouts over the last tenth of the iterations.</param>
/// <param name="FinalGoldReward">The same for the gold scorer (tasks with a learned reward), else null.</param>
/// <param name="HeldOut">Greedy held-out figure (accuracy, or gold reward).</param>
/// <param name="HeldOutLearnedReward">The learned reward of the same held-out completions (tasks with a learned reward), else null.</param>
/// <param name="Kl">Mean sequence KL to the reference over the last tenth of the iterations.</param>
/// <param name="SecondsPerIteration">Mean seconds per iteration, the first (JIT warm-up) left out when there are more.</param>
/// <param name="PeakMemoryMb">Peak resident memory of the run's process (VmHWM; else the peak working set).</param>
/// <param name="PeakTensorMb">
/// Peak live tensor storage of the run (parameters, gradients, optimizer state, activations held by scopes; <see cref="Tensors.TensorMemory"/>),
/// the algorithm's share of <paramref name="PeakMemoryMb"/>; null in results written before it was recorded.
/// </param>
/// <param name="Seconds">Wall time of the whole run (loading, training, evaluation).</param>
/// <param name="LearningRate">The peak learning rate the run used; null in results written before it was recorded.</param>
/// <param name="OptimizerStepsPerIteration">The policy's optimizer steps per iteration (epochs × minibatches); null in results written before it was recorded.</param>
public sealed record CompareResult(string Algorithm, ulong Seed, int Iterations, long RewardQueries, double FinalReward, double? FinalGoldReward,
    double HeldOut, double? HeldOutLearnedReward, double Kl, double SecondsPerIteration, double PeakMemoryMb, double? PeakTensorMb, double Seconds,
    double? LearningRate = null, double? OptimizerStepsPerIteration = null)
{
    /// <summary>File name of a run's result.</summary>
    public const string FileName = "result.json";

    /// <summary>result.json's naming: snake_case, indented.</summary>
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>Reads a run's result.json.</summary>
    public static CompareResult Read(string runDirectory) =>
        JsonSerializer.Deserialize<CompareResult>(File.ReadAllText(Path.Combine(runDirectory, FileName)), Json)
            ?? throw new InvalidDataException($"{Path.Combine(runDirectory, FileName)} is empty.");
}

/// <summary>The trainers of a comparison.</summary>
public static class CompareRun
{
    /// <summary>
    /// The trainer of <paramref name="algorithm"/> with the budget of <paramref name="r"/>: every method gets REBEL's iterations, reward
    /// queries per iteration (prompts × completions; A*-PO, which learns from one completion per prompt, spends them on that many prompts,
    /// plus its stage-1 queries before training), length, temperature, learning rate and schedule, and KL coefficient (online DPO keeps its
    /// score-only labelling and A*-PO its β₂, which are not reward shaping). Every method takes the same optimizer steps per epoch, one per
    /// 2 × REBEL's pairs per step worth of completions (online DPO: its pairs split into that many minibatches); epochs and each method's
    /// own settings keep the method's defaults (PPO: 4 epochs, critic, GAE, clipping). REBEL runs with <paramref name="rebel"/> if given (the
    /// same queries allocated otherwise, <see cref="CompareOptions.RebelAllocation"/>), else <paramref name="r"/>.
    /// </summary>
    public static LanguagePolicyTrainer CreateTrainer(string algorithm, TaskEnvironment env, RebelOptions r, string directory, RebelOptions? rebel = null)
    {
        int queries = r.PromptsPerIteration * r.CompletionsPerPrompt;
        int stepsPerEpoch = Math.Max(1, queries / (2 * r.MiniBatchPairs));
        BaselineOptions Shared(BaselineOptions d) => d with
        {
            Iterations = r.Iterations, PromptsPerIteration = d is ApoOptions ? queries : r.PromptsPerIteration, CompletionsPerPrompt = d is ApoOptions ? 1 : r.CompletionsPerPrompt,
            MaxNewTokens = r.MaxNewTokens, Temperature = r.Temperature, NoEosScore = r.NoEosScore, LearningRate = r.LearningRate,
            Schedule = r.Schedule, AdamEpsilon = r.AdamEpsilon, MaxGradNorm = r.MaxGradNorm, Seed = r.Seed,
            KlCoefficient = d is OnlineDpoOptions or ApoOptions ? d.KlCoefficient : r.KlCoefficient,
            MiniBatchSize = d is OnlineDpoOptions ? Math.Max(1, r.PromptsPerIteration / stepsPerEpoch) : 2 * r.MiniBatchPairs,
        };
        var algo = Algorithms.Find(algorithm);
        LanguagePolicyOptions options = algo.Defaults is BaselineOptions d ? Shared(d) : rebel ?? r;
        return algo.Create(new TrainerInputs(env.Policy, env.Tokenizer, env.Train, env.Reward, directory), options);
    }
}
