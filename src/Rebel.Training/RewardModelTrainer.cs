// Reward-model training: a value head on the last token of prompt ⧺ response ⧺ EOS, fitted to labelled comparisons with the
// Bradley–Terry loss −ln σ(s(x, y_w) − s(x, y_l)); pairwise accuracy is measured on a held-out split. The trained model and head
// load back as `rm:DIR` (scores) and `pref:DIR` (P(y ≻ y' | x) = σ(s − s')).
using Rebel.Models;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Tensors.Distributed;
using Rebel.Tensors.Optim;
using Rebel.Training.Checkpointing;
using Rebel.Training.Data;
using Rebel.Training.Losses;
using Rebel.Training.Rewards;

namespace Rebel.Training;

/// <summary>One optimizer step of <see cref="RewardModelTrainer"/>; <see cref="HeldOutAccuracy"/> is set on each epoch's last step.</summary>
public sealed record RewardModelStep(int Step, int Epoch, double Loss, double Accuracy, float LearningRate, double? HeldOutAccuracy);

/// <summary>Trains a <see cref="ValueHead"/> and its language model on preference pairs.</summary>
public sealed class RewardModelTrainer
{
    private readonly LanguageModel model;
    private readonly ValueHead head;
    private readonly (int[] Chosen, int[] Rejected)[] train, heldOut;
    private readonly AdamW optimizer;
    private readonly Rng rng;
    private int[] order;

    /// <summary>The options in force.</summary>
    public RewardModelOptions Options { get; }

    /// <summary>Pairs trained on.</summary>
    public int TrainCount => train.Length;

    /// <summary>Pairs held out.</summary>
    public int HeldOutCount => heldOut.Length;

    /// <summary>Optimizer steps taken so far (restored by <see cref="LoadCheckpoint"/>).</summary>
    public int Step { get; private set; }

    /// <summary>Optimizer steps per epoch.</summary>
    public int StepsPerEpoch => (train.Length + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>Called after each optimizer step.</summary>
    public Action<RewardModelStep>? StepCompleted { get; set; }

    /// <summary>
    /// Encodes the pairs (response followed by EOS, as <see cref="RewardModelReward"/> reads a completion that ended), splits off
    /// <see cref="RewardModelOptions.HeldOutFraction"/> of them at random, and sets up AdamW over the model's and the head's parameters.
    /// </summary>
    public RewardModelTrainer(LanguageModel model, ValueHead head, ITokenizer tokenizer, IReadOnlyList<PreferencePair> pairs, RewardModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.HeldOutFraction >= 0 && options.HeldOutFraction < 1)) throw new ArgumentException($"RewardModelTrainer: held-out fraction {options.HeldOutFraction} must be in [0, 1).");
        if (options.BatchSize <= 0 || options.Epochs <= 0) throw new ArgumentException("RewardModelTrainer: batch size and epochs must be positive.");
        if (head.Weight.Shape[1] != model.Config.HiddenSize) throw new ArgumentException($"RewardModelTrainer: head width {head.Weight.Shape[1]} differs from hidden size {model.Config.HiddenSize}.");
        this.model = model;
        this.head = head;
        Options = options;
        rng = new Rng(options.Seed);
        var encoded = pairs.Select(p => (
            RewardModelReward.Encode(model.Config, tokenizer, p.Prompt.Prompt, p.Chosen, endedWithEos: !p.EndsTurn, p.Source),
            RewardModelReward.Encode(model.Config, tokenizer, p.Prompt.Prompt, p.Rejected, endedWithEos: !p.EndsTurn, p.Source))).ToArray();
        rng.Shuffle<(int[], int[])>(encoded);
        int held = (int)Math.Round(encoded.Length * options.HeldOutFraction);
        if (encoded.Length - held < 1) throw new ArgumentException($"RewardModelTrainer: {pairs.Count} pairs leave none to train on.");
        heldOut = encoded[..held];
        train = encoded[held..];
        order = [.. Enumerable.Range(0, train.Length)];
        optimizer = new AdamW([.. model.Parameters, .. head.Parameters], options.LearningRate, weightDecay: options.WeightDecay);
    }

    /// <summary>
    /// Runs the remaining steps of all epochs; returns the held-out pairwise accuracy at the end of the last epoch run (NaN when nothing is
    /// held out). <paramref name="stopAfter"/>, when given, is asked after each step (its number) whether to stop there.
    /// </summary>
    public double Train(CancellationToken cancel = default, Func<int, bool>? stopAfter = null)
    {
        int total = StepsPerEpoch * Options.Epochs;
        var schedule = new LrSchedule(Options.Schedule, Options.LearningRate, total, Options.WarmupSteps);
        double heldOutAccuracy = double.NaN;
        while (Step < total)
        {
            int epoch = Step / StepsPerEpoch + 1, start = Step % StepsPerEpoch * Options.BatchSize;
            if (start == 0) rng.Shuffle<int>(order);
            cancel.ThrowIfCancellationRequested();
            var (batch, _, weight) = Collectives.World.WeightedShare(order.Skip(start).Take(Options.BatchSize).Select(i => train[i]).ToList(),
                "RewardModelTrainer: pairs per step");
            double loss, accuracy;
            using (var scope = new TensorScope())
            {
                var scores = ScoreRows([.. batch.Select(p => p.Chosen), .. batch.Select(p => p.Rejected)]); // (2P)
                var chosen = Ops.Slice(scores, 0, 0, batch.Count); // (P)
                var rejected = Ops.Slice(scores, 0, batch.Count, batch.Count); // (P)
                var l = BradleyTerryLoss.Compute(chosen, rejected);
                Ops.Mul(l, weight).Backward();
                loss = l.Item();
                accuracy = BradleyTerryLoss.Accuracy(chosen.Span, rejected.Span);
            }
            optimizer.LearningRate = schedule.At(Step);
            optimizer.ClipAndStep(Options.MaxGradNorm);
            Step++;
            bool lastOfEpoch = start + Options.BatchSize >= order.Length;
            double? held = null;
            if (lastOfEpoch && heldOut.Length > 0) held = heldOutAccuracy = HeldOutAccuracy();
            StepCompleted?.Invoke(new RewardModelStep(Step, epoch, loss, accuracy, optimizer.LearningRate, held));
            if (stopAfter?.Invoke(Step) == true) break;
        }
        return heldOutAccuracy;
    }

    /// <summary>Writes a resumable checkpoint (model and head weights, optimizer, this epoch's pair order, RNG) to <paramref name="directory"/>.</summary>
    public void SaveCheckpoint(string directory) =>
        TrainerCheckpoint.Save(directory, "reward-model", optimizer, rng, (tmp, state) =>
        {
            WeightFile.SaveModel(model, Path.Combine(tmp, "model.safetensors"));
            WeightFile.SaveParameters(head.NamedParameters, Path.Combine(tmp, "head.safetensors"));
            state["step"] = Step;
            state["order"] = TrainerCheckpoint.ToJson(order);
        });

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/>; <see cref="Train"/> then continues as if never stopped.</summary>
    public void LoadCheckpoint(string directory)
    {
        var state = TrainerCheckpoint.Load(directory, "reward-model", optimizer, rng);
        WeightFile.LoadModel(model, Path.Combine(directory, "model.safetensors"));
        WeightFile.LoadParameters(head.NamedParameters, Path.Combine(directory, "head.safetensors"));
        Step = state["step"]!.GetValue<int>();
        order = TrainerCheckpoint.IntArray(state["order"]);
    }

    /// <summary>Fraction of held-out pairs whose chosen response scores above the rejected one (NaN when none are held out).</summary>
    public double HeldOutAccuracy()
    {
        if (heldOut.Length == 0) return double.NaN;
        var chosen = new float[heldOut.Length];
        var rejected = new float[heldOut.Length];
        const int chunk = 16;
        for (int start = 0; start < heldOut.Length; start += chunk)
        {
            var part = heldOut.Skip(start).Take(chunk).ToList();
            using var noGrad = Autograd.NoGrad();
            using var scope = new TensorScope();
            var s = ScoreRows([.. part.Select(p => p.Chosen), .. part.Select(p => p.Rejected)]).Span; // (2P)
            s[..part.Count].CopyTo(chosen.AsSpan(start));
            s.Slice(part.Count, part.Count).CopyTo(rejected.AsSpan(start));
        }
        return BradleyTerryLoss.Accuracy(chosen, rejected);
    }

    // s for each row: right-padded batch (causal attention: the last real token never sees the padding), head read at each row's last token.
    private Tensor ScoreRows(IReadOnlyList<int[]> rows)
    {
        int n = rows.Count, time = rows.Max(r => r.Length);
        int pad = model.Config.PadTokenId ?? rows[0][0];
        var ids = new int[n * time];
        Array.Fill(ids, pad);
        for (int b = 0; b < n; b++) rows[b].CopyTo(ids.AsSpan(b * time));
        var hidden = model.ForwardHidden(ids, n, time); // (B, T, C)
        var values = Ops.Reshape(head.Score(hidden), n * time, 1); // (B·T, 1)
        var last = new int[n];
        for (int b = 0; b < n; b++) last[b] = b * time + rows[b].Length - 1;
        return Ops.Reshape(Ops.IndexSelect(values, last), n); // (B)
    }
}
