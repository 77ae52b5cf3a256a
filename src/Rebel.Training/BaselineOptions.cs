// Options every online baseline (PPO, RLOO, REINFORCE, GRPO, online DPO) shares on top of the language settings: the minibatch
// of completions (online DPO: pairs); each method's sealed record derives from this one.
namespace Rebel.Training;

/// <summary>Settings every baseline's options record provides.</summary>
public abstract record BaselineOptions : LanguagePolicyOptions
{
    /// <summary>Samples (or pairs) per optimizer step (default per method).</summary>
    [Flag("batch-size", "minibatch-size", "per-device-train-batch-size")]
    public abstract int MiniBatchSize { get; init; }

    /// <summary>What one epoch iterates over in minibatches: every completion of the iteration (online DPO: one pair per prompt).</summary>
    internal virtual int UpdateItemsPerIteration => PromptsPerIteration * CompletionsPerPrompt;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Require(MiniBatchSize > 0, $"minibatch size must be positive, got {MiniBatchSize}");
    }
}
