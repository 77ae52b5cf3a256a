// Supervised fine-tuning: maximise ln π(completion | prompt), the loss averaged over completion tokens only.
using Rebel.Models;
using Rebel.Models.Sampling;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Tensors.Distributed;
using Rebel.Tensors.Optim;
using Rebel.Training.Checkpointing;
using Rebel.Training.Rollouts;

namespace Rebel.Training;

/// <summary>
/// One supervised example. <paramref name="IsChat"/>: prompt and completion were rendered by a chat template, which writes its own
/// BOS and ends the completion with its end-of-turn marker (no EOS is added). An empty <paramref name="Prompt"/> (language
/// modelling on "text") trains on the whole completion after BOS, or after its first token when the tokenizer adds no BOS.
/// </summary>
public sealed record SftExample(string Prompt, string Completion, bool IsChat = false);

/// <summary>Trains a model on (prompt, completion) pairs with an EOS token appended to each completion.</summary>
public sealed class SftTrainer
{
    private readonly LanguageModel model;
    private readonly int[][] prompts, completions;
    private readonly AdamW optimizer;
    private readonly LrSchedule schedule;
    private readonly Rng rng;
    private int[] order;
    private int cursor;

    /// <summary>The options in force.</summary>
    public SftOptions Options { get; }

    /// <summary>Optimizer steps taken so far (restored by <see cref="LoadCheckpoint"/>).</summary>
    public int StepsTaken { get; private set; }

    /// <summary>The learning rate of the last step taken.</summary>
    public float LearningRate => optimizer.LearningRate;

    /// <summary>Called after each step with (step, loss).</summary>
    public Action<int, double>? StepCompleted { get; set; }

    /// <summary>Tokenises the examples; completions end with the tokenizer's EOS.</summary>
    public SftTrainer(LanguageModel model, ITokenizer tokenizer, IReadOnlyList<SftExample> examples, SftOptions options)
    {
        if (examples.Count == 0) throw new ArgumentException("SftTrainer: no examples.");
        int eos = EosTokens.Of(model.Config, tokenizer) is { Length: > 0 } ids ? ids[0]
            : throw new ArgumentException("SftTrainer: neither the model nor the tokenizer names an EOS token.");
        this.model = model;
        Options = options;
        prompts = new int[examples.Count][];
        completions = new int[examples.Count][];
        for (int i = 0; i < examples.Count; i++)
        {
            var e = examples[i];
            int[] prompt = tokenizer.Encode(e.Prompt, addSpecialTokens: !e.IsChat);
            int[] completion = e.IsChat ? tokenizer.Encode(e.Completion, addSpecialTokens: false) : [.. tokenizer.Encode(e.Completion, addSpecialTokens: false), eos];
            if (prompt.Length == 0 && completion.Length > 1) (prompt, completion) = (completion[..1], completion[1..]);
            if (prompt.Length == 0 || completion.Length == 0)
                throw new ArgumentException($"SftTrainer: example {i + 1} has nothing to train on (prompt {prompt.Length} tokens, completion {completion.Length} tokens).");
            (prompts[i], completions[i]) = (prompt, completion);
        }
        optimizer = new AdamW(model.Parameters, options.LearningRate, weightDecay: options.WeightDecay);
        schedule = new LrSchedule(options.Schedule, options.LearningRate, options.Steps, options.WarmupSteps);
        rng = new Rng(options.Seed);
        order = [.. Enumerable.Range(0, prompts.Length)];
        cursor = order.Length;
    }

    /// <summary>
    /// Runs the remaining of <see cref="SftOptions.Steps"/> steps; returns the mean loss of the last 10% of them.
    /// <paramref name="stopAfter"/>, when given, is asked after each step whether to stop early (e.g. once a validation score is reached).
    /// </summary>
    public double Train(CancellationToken cancel = default, Func<int, bool>? stopAfter = null)
    {
        double tail = 0; int tailCount = 0;
        for (int step = StepsTaken; step < Options.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            var batchPrompts = new List<int[]>(Options.BatchSize);
            var batchCompletions = new List<int[]>(Options.BatchSize);
            for (int i = 0; i < Options.BatchSize; i++)
            {
                if (cursor == order.Length) { rng.Shuffle<int>(order); cursor = 0; }
                batchPrompts.Add(prompts[order[cursor]]);
                batchCompletions.Add(completions[order[cursor++]]);
            }
            double loss;
            using (var scope = new TensorScope())
            {
                // Every process builds the same global batch and trains on its share; the loss is normalised by the global batch's
                // tokens (times the number of processes, as the step averages their gradients).
                var job = Collectives.World;
                var (mine, first) = job.Share(batchPrompts, "SftTrainer: batch size");
                int tokens = batchCompletions.Sum(c => c.Length);
                var seqLogp = SequenceLogProbs.Compute(model, mine, batchCompletions.GetRange(first, mine.Count), 1f); // (N)
                var l = Ops.Mul(Ops.Sum(seqLogp), -(float)job.Size / tokens);
                l.Backward();
                loss = l.Item();
            }
            optimizer.LearningRate = schedule.At(step);
            optimizer.ClipAndStep(Options.MaxGradNorm);
            StepsTaken = step + 1;
            if (step >= Options.Steps - Math.Max(1, Options.Steps / 10)) { tail += loss; tailCount++; }
            StepCompleted?.Invoke(step + 1, loss);
            if (stopAfter?.Invoke(step + 1) == true) return loss;
        }
        return tail / Math.Max(tailCount, 1);
    }

    /// <summary>Writes a resumable checkpoint (weights, optimizer, data order and position, RNG) to <paramref name="directory"/>.</summary>
    public void SaveCheckpoint(string directory) =>
        TrainerCheckpoint.Save(directory, "sft", optimizer, rng, (tmp, state) =>
        {
            WeightFile.SaveModel(model, Path.Combine(tmp, "policy.safetensors"));
            state["step"] = StepsTaken;
            state["cursor"] = cursor;
            state["order"] = TrainerCheckpoint.ToJson(order);
        });

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/>; <see cref="Train"/> then continues as if never stopped.</summary>
    public void LoadCheckpoint(string directory)
    {
        var state = TrainerCheckpoint.Load(directory, "sft", optimizer, rng);
        WeightFile.LoadModel(model, Path.Combine(directory, "policy.safetensors"));
        StepsTaken = state["step"]!.GetValue<int>();
        cursor = state["cursor"]!.GetValue<int>();
        order = TrainerCheckpoint.IntArray(state["order"]);
    }
}
