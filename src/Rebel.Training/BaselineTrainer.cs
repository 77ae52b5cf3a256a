// The part every online baseline (PPO, RLOO, REINFORCE, GRPO, online DPO) shares on top of the language policy loop: its typed
// options record, the optimizer steps of one epoch (the iteration's samples, or online DPO's pairs, in minibatches) and the
// epochs over them.
using Rebel.Models;
using Rebel.Models.Tokenization;
using Rebel.Training.Data;
using Rebel.Training.Rewards;

namespace Rebel.Training;

/// <summary>Base of the baselines' trainers: a <see cref="LanguagePolicyTrainer"/> with its method's options record.</summary>
/// <typeparam name="TOptions">The method's options record.</typeparam>
public abstract class BaselineTrainer<TOptions> : LanguagePolicyTrainer where TOptions : BaselineOptions
{
    /// <summary>The options in force.</summary>
    public TOptions Options { get; }

    /// <summary>Sets up <paramref name="algorithm"/> on <paramref name="policy"/> (π_ref is a frozen copy of it as given).</summary>
    protected BaselineTrainer(string algorithm, LanguageModel policy, ITokenizer tokenizer, IReadOnlyList<PromptRecord> prompts, IReward reward, TOptions options,
        string? outputDirectory)
        : base(algorithm, policy, tokenizer, prompts, reward, options, StepsPerEpoch(options.UpdateItemsPerIteration, options.MiniBatchSize), outputDirectory) =>
        Options = options;

    /// <summary>Epochs of shuffled minibatches of <see cref="BaselineOptions.MiniBatchSize"/> over <paramref name="count"/> items (see <see cref="PolicyTrainer{TRollout}.TrainEpochs"/>).</summary>
    protected double TrainEpochs(int count, Action<int[]> backward) => TrainEpochs(count, Options.MiniBatchSize, (_, mb) => backward(mb));
}
