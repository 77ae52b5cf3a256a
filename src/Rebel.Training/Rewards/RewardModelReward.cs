// A learned reward model: a Hugging Face model folder with a scalar value head ("score.weight" as *ForSequenceClassification,
// or TRL's "v_head.summary.*"). The score of a completion is the head's output on the last token of prompt + completion.
using Rebel.Models;
using Rebel.Models.Pretrained;
using Rebel.Models.Sampling;
using Rebel.Models.Tokenization;
using Rebel.Tensors;

namespace Rebel.Training.Rewards;

/// <summary>Scores completions with a value-head model: s(x, y) = head(h_last(x ⧺ y)).</summary>
public sealed class RewardModelReward : IReward
{
    private readonly LanguageModel model;
    private readonly ValueHead head;
    private readonly ITokenizer tokenizer;
    private readonly int batchSize;

    /// <summary>
    /// Loads the model and value head in <paramref name="directory"/>. Its own tokenizer.json is used when present, else
    /// <paramref name="fallbackTokenizer"/> (the policy's). Texts are scored <paramref name="batchSize"/> at a time.
    /// </summary>
    public RewardModelReward(string directory, ITokenizer? fallbackTokenizer = null, int batchSize = 16)
    {
        model = HfModelLoader.Load(directory);
        head = HfModelLoader.LoadValueHead(directory, model.Config.HiddenSize)
            ?? throw new InvalidDataException($"Reward model '{directory}' has no value head (tensor \"{ValueHead.ScorePrefix}.weight\" or \"{ValueHead.VHeadPrefix}.weight\").");
        tokenizer = File.Exists(Path.Combine(directory, BpeTokenizer.FileName)) ? BpeTokenizer.LoadFolder(directory)
            : fallbackTokenizer ?? throw new FileNotFoundException($"Reward model '{directory}' has no {BpeTokenizer.FileName}.");
        this.batchSize = Math.Max(1, batchSize);
        Directory = directory;
    }

    /// <summary>A reward model already in memory (<paramref name="directory"/> only names it); texts are scored <paramref name="batchSize"/> at a time.</summary>
    public RewardModelReward(LanguageModel model, ValueHead head, ITokenizer tokenizer, string directory, int batchSize = 16)
    {
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        this.head = head ?? throw new ArgumentNullException(nameof(head));
        this.tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        this.batchSize = Math.Max(1, batchSize);
        Directory = directory;
    }

    /// <summary>The model folder.</summary>
    public string Directory { get; }

    /// <summary>The reward model's body (PPO can start its critic from a copy).</summary>
    public LanguageModel Model => model;

    /// <summary>The reward model's value head.</summary>
    public ValueHead Head => head;

    /// <summary>The tokenizer the reward model reads with.</summary>
    public ITokenizer Tokenizer => tokenizer;

    /// <inheritdoc />
    public string Name => $"rm:{Directory}";

    /// <inheritdoc />
    public float[] Score(IReadOnlyList<RewardQuery> queries)
    {
        var scores = new float[queries.Count];
        for (int start = 0; start < queries.Count; start += batchSize)
        {
            var batch = queries.Skip(start).Take(batchSize).Select(Encode).ToList();
            ScoreBatch(batch).CopyTo(scores.AsSpan(start));
        }
        return scores;
    }

    /// <summary>Tokens the model reads for one query: prompt ⧺ completion (⧺ EOS when the completion ended with one), the last MaxPositions kept.</summary>
    public int[] Encode(RewardQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Encode(model.Config, tokenizer, query.Prompt.Prompt, query.Completion, query.EndedWithEos, query.Prompt.Source);
    }

    /// <summary>
    /// The reward-model input convention, shared with <see cref="RewardModelTrainer"/>: tokens of prompt ⧺ completion, then the model's
    /// EOS (else the tokenizer's) when <paramref name="endedWithEos"/>, the last MaxPositions kept. <paramref name="source"/> names the record in errors.
    /// </summary>
    public static int[] Encode(ModelConfig config, ITokenizer tokenizer, string prompt, string completion, bool endedWithEos, string source)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var ids = tokenizer.Encode(prompt + completion).ToList();
        int? eos = EosTokens.Of(config, tokenizer) is { Length: > 0 } eosIds ? eosIds[0] : null;
        if (endedWithEos && eos is { } e) ids.Add(e);
        if (ids.Count == 0) throw new InvalidDataException($"{source}: prompt and completion encode to no tokens for the reward model.");
        int max = config.MaxPositions;
        return ids.Count <= max ? [.. ids] : [.. ids.Skip(ids.Count - max)];
    }

    // Right-padded batch (causal attention: the last real token never sees the padding); the head is read at each row's last token.
    private float[] ScoreBatch(IReadOnlyList<int[]> rows)
    {
        int n = rows.Count, time = rows.Max(r => r.Length);
        int pad = model.Config.PadTokenId ?? rows[0][0];
        var ids = new int[n * time];
        Array.Fill(ids, pad);
        for (int b = 0; b < n; b++) rows[b].CopyTo(ids.AsSpan(b * time));
        var result = new float[n];
        using var noGrad = Autograd.NoGrad();
        using var scope = new TensorScope();
        var hidden = model.ForwardHidden(ids, n, time); // (B, T, C)
        var values = head.Score(hidden).Span; // (B, T)
        for (int b = 0; b < n; b++) result[b] = values[b * time + rows[b].Length - 1];
        return result;
    }
}
