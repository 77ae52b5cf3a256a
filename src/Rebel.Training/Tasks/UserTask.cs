// `rebel compare --model DIR --prompts FILE --reward SPEC`: the comparison on a user's own task. There is nothing to build: every
// seed starts from the user's model folder as it is, RL draws from the user's prompts and optimises the user's reward, and the
// held-out figure is that reward's mean over greedy completions of the evaluation prompts (--eval-prompts, or the last tenth of
// the prompt file when none are given).
using Rebel.Models.Pretrained;
using Rebel.Models.Tokenization;
using Rebel.Training.Data;
using Rebel.Training.Rewards;

namespace Rebel.Training.Tasks;

/// <summary>The files of a user task: a Hugging Face model folder, a prompt file, a reward spec and optional evaluation prompts.</summary>
/// <param name="Model">Model folder (config.json, safetensors weights, tokenizer.json).</param>
/// <param name="Prompts">Prompt file (.jsonl, .json or .parquet), as `rebel train` reads it.</param>
/// <param name="Reward">Reward spec, as `rebel train --reward` takes it (a scalar reward; pref: is refused).</param>
/// <param name="EvalPrompts">Held-out prompt file, or null for the last tenth of <paramref name="Prompts"/>.</param>
public sealed record UserTaskFiles(string Model, string Prompts, string Reward, string? EvalPrompts = null);

/// <summary>A comparison task made of a user's model folder, prompts and reward.</summary>
public sealed class UserTask(UserTaskFiles files, ulong seed, TaskOverrides? overrides = null) : IBuiltInTask
{
    /// <summary>The task name a user task carries in compare.json and summary.json.</summary>
    public const string TaskName = "user";

    /// <inheritdoc />
    public string Name => TaskName;

    /// <inheritdoc />
    public string HeldOutMetric => "reward";

    /// <inheritdoc />
    public ulong Seed => seed;

    /// <inheritdoc />
    public RebelOptions Rebel
    {
        get
        {
            var d = new RebelOptions();
            var o = overrides ?? new TaskOverrides();
            return d with
            {
                Seed = seed, Iterations = o.Iterations ?? d.Iterations, PromptsPerIteration = o.PromptsPerIteration ?? d.PromptsPerIteration,
                CompletionsPerPrompt = o.CompletionsPerPrompt ?? d.CompletionsPerPrompt,
            };
        }
    }

    /// <inheritdoc />
    public TaskEnvironment Prepare(string directory, IQuickstartProgress progress, CancellationToken cancel = default)
    {
        var env = Load(directory, writeSetup: true);
        progress.Message($"User task: {env.Train.Count} training prompts, {env.HeldOut.Count} held-out prompts, model {files.Model} as it is.");
        return env;
    }

    /// <inheritdoc />
    public TaskEnvironment Load(string directory) => Load(directory, writeSetup: false);

    private TaskEnvironment Load(string directory, bool writeSetup)
    {
        var policy = HfModelLoader.Load(files.Model);
        var tokenizer = BpeTokenizer.LoadFolder(files.Model);
        var template = ChatTemplate.ForFolder(files.Model);
        var prompts = PromptDataset.Load(files.Prompts, template);
        IReadOnlyList<PromptRecord> train = prompts, heldOut;
        if (files.EvalPrompts is { } eval) heldOut = PromptDataset.Load(eval, template);
        else
        {
            if (prompts.Count < 2) throw new ArgumentException($"{files.Prompts}: compare needs at least 2 prompts to hold some out (or give --eval-prompts).");
            int held = Math.Max(1, prompts.Count / 10);
            train = [.. prompts.Take(prompts.Count - held)];
            heldOut = [.. prompts.Skip(prompts.Count - held)];
        }
        var spec = RewardSpec.Parse(files.Reward, tokenizer); // lives as long as the process: a cmd: reward's program runs until then
        var reward = spec.Reward ?? throw new ArgumentException($"compare --reward {files.Reward}: a pairwise preference model gives no scores to compare by; use a scalar reward.");
        var r = Rebel;
        int length = ContextBudget.MaxNewTokens(policy.Config, tokenizer, train.Concat(heldOut), null, r.MaxNewTokens, "--max-new-tokens");
        var facts = new Dictionary<string, double> { ["train_prompts"] = train.Count, ["held_out_prompts"] = heldOut.Count, ["max_new_tokens"] = length };
        if (writeSetup) BuiltInTasks.SaveFacts(directory, facts);
        return new TaskEnvironment(policy, tokenizer, train, heldOut, reward, reward, new Dictionary<string, IReward>(), length, facts);
    }
}
