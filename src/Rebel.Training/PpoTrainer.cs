// PPO for language models (Schulman et al. 2017; the RLHF recipe of Ziegler et al. 2019 / Ouyang et al. 2022, as in TRL):
// per-token rewards (KL penalty at every token, score at the last), a critic (ValueHead on a copy of the policy), token-level
// GAE, whitened advantages, the clipped surrogate and a clipped value loss, several epochs per batch.
using System.Text.Json.Nodes;
using Rebel.Models;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Tensors.Distributed;
using Rebel.Tensors.Optim;
using Rebel.Training.Checkpointing;
using Rebel.Training.Data;
using Rebel.Training.Losses;
using Rebel.Training.Rewards;
using Rebel.Training.Rollouts;

namespace Rebel.Training;

/// <summary>Trains a policy with PPO and a learned critic.</summary>
public sealed class PpoTrainer : BaselineTrainer<PpoOptions>
{
    private readonly LanguageModel criticBody;
    private readonly ValueHead valueHead;
    private readonly AdamW criticOptimizer;

    /// <summary>
    /// Sets up PPO on <paramref name="policy"/>; π_ref and the critic's body start as copies of it, the value head at zero (with
    /// <see cref="PpoOptions.CriticFromRewardModel"/>, body and head start as copies of the rm: reward's).
    /// </summary>
    public PpoTrainer(LanguageModel policy, ITokenizer tokenizer, IReadOnlyList<PromptRecord> prompts, IReward reward, PpoOptions options,
        string? outputDirectory = null)
        : base("ppo", policy, tokenizer, prompts, reward, options, outputDirectory)
    {
        (criticBody, valueHead) = options.CriticFromRewardModel ? CriticFrom(reward, policy)
            : (policy.CloneModel(), new ValueHead(policy.Config.HiddenSize, ValueHead.VHeadPrefix, bias: true));
        valueHead.ToDevice(criticBody.Device);
        criticOptimizer = new AdamW([.. criticBody.Parameters, .. valueHead.Parameters], options.LearningRate, epsilon: options.AdamEpsilon, weightDecay: 0f);
    }

    // A copy of the reward model's body and head; it reads the policy's token ids, so the vocabularies must agree.
    private static (LanguageModel Body, ValueHead Head) CriticFrom(IReward reward, LanguageModel policy)
    {
        if (reward is not RewardModelReward rm)
            throw new ArgumentException($"--critic-from-reward-model needs an rm:DIR reward, got '{reward.Name}'.");
        if (rm.Model.Config.VocabSize != policy.Config.VocabSize)
            throw new ArgumentException($"--critic-from-reward-model: the reward model {rm.Directory} has {rm.Model.Config.VocabSize} tokens, the policy {policy.Config.VocabSize}; the critic reads the policy's tokens.");
        var head = new ValueHead(rm.Model.Config.HiddenSize, rm.Head.Prefix, bias: rm.Head.Bias is not null);
        for (int i = 0; i < head.Parameters.Count; i++) head.Parameters[i].SetValues(rm.Head.Parameters[i].ToArray());
        var body = rm.Model.CloneModel();
        body.ToDevice(policy.Device); // the critic computes where the policy does
        return (body, head);
    }

    /// <inheritdoc/>
    protected override void Update(List<Rollout> rollouts, Dictionary<string, double> metrics)
    {
        var old = TokenLayout.TokenLogProbs(Policy, rollouts, Options.Temperature);
        var reference = TokenLayout.TokenLogProbs(Reference, rollouts, Options.Temperature);
        var oldValues = TokenLayout.Values(criticBody, valueHead, rollouts);
        var advantages = new float[rollouts.Count][];
        var returns = new float[rollouts.Count][];
        var tokenRewards = new float[rollouts.Count][];
        for (int i = 0; i < rollouts.Count; i++)
        {
            int n = rollouts[i].Completion.Length;
            var rewards = new float[n];
            Gae.TokenRewards(rollouts[i].Score, old[i], reference[i], Options.KlCoefficient, rewards, Options.KlEstimator);
            tokenRewards[i] = rewards;
        }
        if (Options.WhitenRewards) WhitenAll(tokenRewards, shiftMean: false);
        for (int i = 0; i < rollouts.Count; i++)
        {
            int n = rollouts[i].Completion.Length;
            advantages[i] = new float[n];
            returns[i] = new float[n];
            Gae.Compute(tokenRewards[i], oldValues[i], Options.Gamma, Options.Lambda, advantages[i], returns[i]);
        }
        if (Options.WhitenAdvantages) WhitenAll(advantages);

        double policyLoss = 0, valueLoss = 0, clipFraction = 0; int steps = 0;
        double gradNorm = TrainEpochs(rollouts.Count, mb =>
        {
            var batch = mb.Select(i => rollouts[i]).ToList();
            var prompts = batch.Select(r => r.PromptIds).ToList();
            var completions = batch.Select(r => r.Completion).ToList();
            var logp = SequenceLogProbs.ComputeTokens(Policy, prompts, completions, Options.Temperature, out var mask); // (B, T)
            int time = logp.Shape[1];
            var oldFlat = TokenLayout.Scatter(batch, [.. mb.Select(i => old[i])], time);
            var loss = PpoLoss.Policy(logp, oldFlat, TokenLayout.Scatter(batch, [.. mb.Select(i => advantages[i])], time), mask, Options.ClipRange);
            clipFraction += PpoLoss.ClipFraction(logp.Span, oldFlat, mask, Options.ClipRange);
            loss.Backward();
            policyLoss += loss.Item();

            var values = SequenceLogProbs.Values(criticBody, valueHead, prompts, completions); // (B, T)
            var vLoss = PpoLoss.Value(values, TokenLayout.Scatter(batch, [.. mb.Select(i => oldValues[i])], time),
                TokenLayout.Scatter(batch, [.. mb.Select(i => returns[i])], time), mask, Options.ValueClipRange);
            vLoss.Backward();
            valueLoss += vLoss.Item();
            // The critic steps first, at the learning rate the policy's step (taken by TrainEpochs after this) uses.
            criticOptimizer.LearningRate = ScheduledLearningRate;
            criticOptimizer.ClipAndStep(Options.MaxGradNorm);
            steps++;
        });
        metrics["loss/policy_avg"] = policyLoss / Math.Max(steps, 1);
        metrics["loss/value_avg"] = valueLoss / Math.Max(steps, 1);
        metrics["policy/clipfrac_avg"] = clipFraction / Math.Max(steps, 1);
        metrics["val/value_mean"] = oldValues.SelectMany(v => v).DefaultIfEmpty().Average();
        metrics["grad_norm"] = gradNorm;
    }

    /// <summary>
    /// Batch whitening over the global batch: the moments are sums over every process's values (Advantages.Whiten's formula);
    /// with <paramref name="shiftMean"/> false the mean is added back (TRL's whiten_rewards).
    /// </summary>
    internal static void WhitenAll(float[][] perRollout, bool shiftMean = true)
    {
        var job = Collectives.World;
        double[] moments = [0, 0];
        foreach (var a in perRollout)
            foreach (var x in a) { moments[0] += x; moments[1]++; }
        job.AllReduceSum(moments);
        double mean = moments[0] / Math.Max(moments[1], 1);
        double[] sq = [0];
        foreach (var a in perRollout)
            foreach (var x in a) sq[0] += (x - mean) * (x - mean);
        job.AllReduceSum(sq);
        double std = Math.Sqrt(sq[0] / Math.Max(moments[1], 1));
        foreach (var a in perRollout)
            for (int t = 0; t < a.Length; t++) a[t] = (float)((a[t] - mean) / (std + 1e-8f) + (shiftMean ? 0 : mean));
    }

    /// <inheritdoc/>
    protected override void SaveState(string directory, JsonObject state)
    {
        base.SaveState(directory, state);
        WeightFile.SaveModel(criticBody, Path.Combine(directory, "critic.safetensors"));
        WeightFile.SaveBuffers([.. valueHead.Parameters.Select(p => p.ToArray())], Path.Combine(directory, "value_head.safetensors"));
        WeightFile.SaveBuffers(criticOptimizer.StateBuffers(), Path.Combine(directory, "critic_optimizer.safetensors"));
        state["critic_optimizer_steps"] = criticOptimizer.StepCount;
    }

    /// <inheritdoc/>
    protected override void LoadState(string directory, JsonObject state)
    {
        base.LoadState(directory, state);
        WeightFile.LoadModel(criticBody, Path.Combine(directory, "critic.safetensors"));
        var head = valueHead.Parameters.Select(p => new float[p.Size]).ToArray();
        WeightFile.LoadBuffers(head, Path.Combine(directory, "value_head.safetensors"));
        for (int i = 0; i < head.Length; i++) valueHead.Parameters[i].SetValues(head[i]);
        WeightFile.LoadBuffers(criticOptimizer.StateBuffers(), Path.Combine(directory, "critic_optimizer.safetensors"));
        criticOptimizer.RestoreStepCount(state["critic_optimizer_steps"]!.GetValue<long>());
    }
}
