// Batched autoregressive generation with a key/value cache: prompts of different lengths are left-padded,
// each step samples from temperature-scaled logits (optionally top-k / top-p filtered) and records the log-prob; the rows' softmax and
// draw run over the worker team, their uniform draws taken first in row order so the tokens do not depend on the threads.
using System.Numerics.Tensors;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Tensors.Kernels;

namespace Rebel.Models.Sampling;

/// <summary>How to decode.</summary>
public sealed record SamplingOptions
{
    /// <summary>Most tokens generated per prompt (default 32).</summary>
    public int MaxNewTokens { get; init; } = 32;

    /// <summary>Softmax temperature; 0 means greedy (argmax). Default 1.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Keep only the k most likely tokens (0 = off).</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of tokens whose probability reaches p (1 = off).</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Tokens that end a completion (included in it). Empty: use the model's eos_token_id.</summary>
    public int[] EosTokenIds { get; init; } = [];

    /// <summary>
    /// Called with a completion's tokens so far after each new token; returning true ends that completion (the last token
    /// is kept). Null (the default) never stops early. <see cref="StopStrings"/> builds one from stop strings.
    /// </summary>
    public Func<IReadOnlyList<int>, bool>? Stop { get; init; }

    /// <summary>
    /// Prefill each distinct prompt once and copy its keys and values to every row that repeats it (the n completions of one
    /// prompt); the tokens are the same as with one prefill per row and the log-probs equal up to float rounding (fewer prefill rows
    /// can take another GEMM path). Default true; false prefills every row.
    /// </summary>
    public bool SharePromptPrefill { get; init; } = true;

    /// <summary>
    /// Pack every float32 weight into column panels once per call (<see cref="WeightPanels"/>) so that each decode step reads them
    /// front to back; GPT-2's Conv1D products are the same bit for bit, nn.Linear ones equal up to float rounding (another order of
    /// additions). Costs one more float per weight element, rented from the call's buffer pool (the next call reuses it). Default
    /// true; false keeps memory at the weights alone.
    /// </summary>
    public bool PackWeights { get; init; } = true;
}

/// <summary>Stop conditions on decoded text.</summary>
public static class StopStrings
{
    /// <summary>
    /// A <see cref="SamplingOptions.Stop"/> predicate that is true once the decoded completion contains any of
    /// <paramref name="stops"/>. Only the tail that can hold a new match is decoded: the last <paramref name="window"/> tokens.
    /// </summary>
    public static Func<IReadOnlyList<int>, bool> Create(Func<IReadOnlyList<int>, string> decode, IReadOnlyList<string> stops, int window = 32)
    {
        ArgumentNullException.ThrowIfNull(decode);
        if (stops.Any(string.IsNullOrEmpty)) throw new ArgumentException("StopStrings: stop strings must not be empty.");
        if (window <= 0) throw new ArgumentException($"StopStrings: window {window} must be positive.");
        return tokens =>
        {
            int start = Math.Max(0, tokens.Count - window);
            var tail = new int[tokens.Count - start];
            for (int i = 0; i < tail.Length; i++) tail[i] = tokens[start + i];
            string text = decode(tail);
            foreach (var s in stops)
                if (text.Contains(s, StringComparison.Ordinal)) return true;
            return false;
        };
    }

    /// <summary>A stop predicate on the text <paramref name="tokenizer"/> decodes (special tokens included).</summary>
    public static Func<IReadOnlyList<int>, bool> Create(BpeTokenizer tokenizer, IReadOnlyList<string> stops, int window = 32)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return Create(ids => tokenizer.Decode(ids), stops, window);
    }
}

/// <summary>One completion.</summary>
/// <param name="Tokens">Generated token ids (the EOS token included when one was produced).</param>
/// <param name="LogProbs">ln π(token | prefix) of each generated token under the temperature-scaled distribution (temperature 1 when greedy).</param>
/// <param name="EndedWithEos">True when generation stopped at an EOS token.</param>
public sealed record Generation(int[] Tokens, float[] LogProbs, bool EndedWithEos)
{
    /// <summary>True when <see cref="SamplingOptions.Stop"/> ended the completion.</summary>
    public bool EndedWithStop { get; init; }
}

/// <summary>Generates completions for a batch of prompts.</summary>
public static partial class Sampler
{
    /// <summary>Samples one completion per prompt, all prompts decoded together, every draw from <paramref name="rng"/>.</summary>
    public static Generation[] Generate(LanguageModel model, IReadOnlyList<int[]> prompts, SamplingOptions options, Rng rng) =>
        Generate(model, prompts, options, _ => rng);

    /// <summary>
    /// Samples one completion per prompt, all prompts decoded together, row b drawing from <paramref name="rowRngs"/>[b]; a row's
    /// completion then does not depend on which other rows share the batch (data-parallel ranks reproduce one process's samples).
    /// </summary>
    public static Generation[] Generate(LanguageModel model, IReadOnlyList<int[]> prompts, SamplingOptions options, IReadOnlyList<Rng> rowRngs)
    {
        if (rowRngs.Count != prompts.Count) throw new ArgumentException($"Generate: {rowRngs.Count} random streams for {prompts.Count} prompts.");
        return Generate(model, prompts, options, b => rowRngs[b]);
    }

    /// <summary>
    /// The most tokens (prompt plus completion) a model of <paramref name="config"/> can decode: its positions for learned position
    /// embeddings (GPT-2), which end there; unbounded (int.MaxValue) for rotary ones, whose positions extend.
    /// </summary>
    public static int ContextLimit(ModelConfig config) =>
        config.Architecture == ModelArchitecture.Gpt2 ? config.MaxPositions : int.MaxValue;

    private static Generation[] Generate(LanguageModel model, IReadOnlyList<int[]> prompts, SamplingOptions options, Func<int, Rng> rngOf)
    {
        int bsz = prompts.Count;
        if (bsz == 0) return [];
        int maxLen = prompts.Max(p => p.Length);
        if (prompts.Any(p => p.Length == 0)) throw new ArgumentException("Generate: every prompt needs at least one token.");
        int capacity = maxLen + options.MaxNewTokens;
        if (capacity > ContextLimit(model.Config))
            throw new ArgumentException($"Generate: prompt of {maxLen} tokens plus {options.MaxNewTokens} new tokens exceeds the context of {model.Config.MaxPositions}.");
        var eos = options.EosTokenIds.Length > 0 ? options.EosTokenIds : model.Config.EosTokenIds;
        int v = model.Config.VocabSize;
        int pad = model.Config.PadTokenId ?? eos.FirstOrDefault(id => (uint)id < (uint)v); // masked out, any valid id does
        var keyStart = new int[bsz];
        for (int b = 0; b < bsz; b++) keyStart[b] = maxLen - prompts[b].Length;
        using var generation = new TensorScope(); // the caches' arrays go back to the pool for the next call
        var cache = model.CreateCache(bsz, capacity);
        var tokens = new List<int>[bsz];
        var logps = new List<float>[bsz];
        var done = new bool[bsz];
        var ended = new bool[bsz];
        var stopped = new bool[bsz];
        for (int b = 0; b < bsz; b++) { tokens[b] = []; logps[b] = []; }
        var dist = Rebel.Tensors.Tensor.Zeros(bsz, v).Data; // (B, V): each row's logits, then its probabilities
        var logProbs = Rebel.Tensors.Tensor.Zeros(bsz, v).Data; // (B, V): ln p of each row
        var next = new int[bsz];
        var uniform = new double[bsz];
        var active = new List<int>(bsz);
        var logitsRow = options.SharePromptPrefill ? DistinctRows(prompts) : Enumerable.Range(0, bsz).ToArray();
        using var noGrad = Autograd.NoGrad();
        using var panels = options.PackWeights && options.MaxNewTokens > 1 ? WeightPanels.Begin() : null;
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            using (var scope = new TensorScope())
            {
                var logits = Ops.ToHost(step == 0 ? Prefill(model, prompts, logitsRow, maxLen, pad, cache) : model.Forward(next, bsz, 1, keyStart, cache)); // (rows, 1, V), drawn from on the host
                active.Clear();
                for (int b = 0; b < bsz; b++)
                {
                    if (done[b]) { next[b] = pad; continue; }
                    active.Add(b);
                    if (options.Temperature > 0) uniform[b] = rngOf(b).NextDouble(); // drawn in row order, as one draw per row
                }
                // every row's softmax and draw at once, over the worker team (no random state is touched here)
                bool prefill = step == 0;
                WorkerTeam.For(active.Count, i =>
                {
                    int b = active[i];
                    var row = dist.AsSpan(b * v, v);
                    logits.Span.Slice((prefill ? logitsRow[b] : b) * v, v).CopyTo(row);
                    var lp = logProbs.AsSpan(b * v, v);
                    next[b] = Pick(row, lp, options, uniform[b]);
                });
                foreach (int b in active)
                {
                    int token = next[b];
                    tokens[b].Add(token);
                    logps[b].Add(logProbs[b * v + token]);
                    if (Array.IndexOf(eos, token) >= 0) { done[b] = true; ended[b] = true; }
                    else if (options.Stop is { } stop && stop(tokens[b])) { done[b] = true; stopped[b] = true; }
                    else if (tokens[b].Count >= options.MaxNewTokens) done[b] = true;
                }
            }
            if (done.All(d => d)) break;
        }
        var result = new Generation[bsz];
        for (int b = 0; b < bsz; b++) result[b] = new Generation([.. tokens[b]], [.. logps[b]], ended[b]) { EndedWithStop = stopped[b] };
        return result;
    }

    /// <summary>
    /// Chooses a token from one row of logits: the argmax when greedy, else the index where the cumulative (top-k / top-p
    /// filtered) probabilities pass <paramref name="uniform"/> · their sum (<see cref="Rng.Multinomial(ReadOnlySpan{float}, double)"/>).
    /// <paramref name="logProbs"/> receives ln p of every token under the temperature-scaled softmax; <paramref name="logits"/>
    /// is overwritten (by the probabilities when sampling).
    /// </summary>
    internal static int Pick(Span<float> logits, Span<float> logProbs, SamplingOptions o, double uniform)
    {
        float t = o.Temperature > 0 ? o.Temperature : 1f;
        if (t != 1f) TensorPrimitives.Divide(logits, t, logits);
        Ops.LogSoftmaxRow(logits, logProbs);
        if (o.Temperature <= 0) return TensorPrimitives.IndexOfMax(logits);
        var p = logits; // reuse as probabilities
        TensorPrimitives.Exp(logProbs, p);
        if (o.TopK > 0 && o.TopK < p.Length) KeepTopK(p, o.TopK);
        if (o.TopP < 1f) KeepTopP(p, o.TopP);
        return Rng.Multinomial(p, uniform);
    }

    private static void KeepTopK(Span<float> p, int k)
    {
        var sorted = p.ToArray();
        Array.Sort(sorted);
        float threshold = sorted[^k];
        int kept = 0;
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] > threshold || p[i] == threshold && kept < k) kept++;
            else p[i] = 0;
        }
    }

    private static void KeepTopP(Span<float> p, float topP)
    {
        var order = new int[p.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var keys = p.ToArray();
        Array.Sort(keys, order);
        float total = TensorPrimitives.Sum(p), acc = 0;
        bool cut = false;
        for (int j = order.Length - 1; j >= 0; j--)
        {
            if (cut) { p[order[j]] = 0; continue; }
            acc += keys[j];
            if (acc >= topP * total) cut = true;
        }
    }
}
