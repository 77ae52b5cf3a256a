// Base of every causal language model: named parameters (Hugging Face names), the forward pass contract,
// key/value caches and position ids for left-padded batches.
using Rebel.Tensors;

namespace Rebel.Models;

/// <summary>A causal LM: token ids in, next-token logits out. Subclasses build one architecture family.</summary>
public abstract partial class LanguageModel
{
    private readonly Dictionary<string, Tensor> parameters = new(StringComparer.Ordinal);

    /// <summary>Hyper-parameters.</summary>
    public ModelConfig Config { get; }

    /// <summary>Parameters keyed by their Hugging Face names, in creation order.</summary>
    public IReadOnlyDictionary<string, Tensor> NamedParameters => parameters;

    /// <summary>All trainable parameters: every weight, or only the LoRA adapters' when <see cref="Lora"/> is set.</summary>
    public IReadOnlyList<Tensor> Parameters => lora is null ? [.. parameters.Values] : [.. lora.Layers.SelectMany(l => new[] { l.A, l.B })];

    /// <summary>Where the model's parameters live and its forward passes run (<see cref="TensorDevice.Cpu"/> unless moved).</summary>
    public TensorDevice Device { get; private set; } = TensorDevice.Cpu;

    /// <summary>
    /// Moves every weight (LoRA adapters included) to <paramref name="device"/>, in place: the forward passes, key/value caches and
    /// gradients then live there, and optimizers made over <see cref="Parameters"/> afterwards update them there. Token ids go in
    /// and sampled tokens and log-probs come out on the host as before. Weights held in bfloat16 become float32 on an accelerator.
    /// </summary>
    public void ToDevice(TensorDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        foreach (var p in parameters.Values) p.MoveTo(device);
        foreach (var l in LoraLayers)
        {
            l.A.MoveTo(device);
            l.B.MoveTo(device);
        }
        Device = device;
    }

    /// <summary>Number of scalar parameters.</summary>
    public long ParameterCount => parameters.Values.Sum(p => (long)p.Size);

    /// <summary>Stores the configuration after validating it.</summary>
    protected LanguageModel(ModelConfig config)
    {
        config.Validate("model");
        Config = config;
    }

    /// <summary>Registers a zero parameter under its Hugging Face name.</summary>
    protected Tensor Param(string name, params int[] shape)
    {
        var p = Tensor.Parameter(shape, name);
        parameters.Add(name, p);
        return p;
    }

    /// <summary>Fills every weight with the architecture's initialisation (normal 0.02, norms 1, biases 0).</summary>
    public abstract void Initialize(Rng rng);

    /// <summary>
    /// Final hidden states (B, T, C) after the last norm. <paramref name="ids"/> holds B·T tokens row by row.
    /// <paramref name="keyStart"/>[b] is the first real token of row b (left padding); <paramref name="cache"/> holds one
    /// KvCache per layer for incremental decoding (the T tokens follow the cached ones).
    /// </summary>
    public abstract Tensor ForwardHidden(ReadOnlySpan<int> ids, int batch, int time, int[]? keyStart = null, KvCache[]? cache = null);

    /// <summary>Next-token logits (…, V) from hidden states (…, C).</summary>
    public abstract Tensor Logits(Tensor hidden);

    /// <summary>Next-token logits (B, T, V).</summary>
    public Tensor Forward(ReadOnlySpan<int> ids, int batch, int time, int[]? keyStart = null, KvCache[]? cache = null) =>
        Logits(ForwardHidden(ids, batch, time, keyStart, cache));

    /// <summary>
    /// ln softmax(Logits(hidden) / τ)[target] per row of hidden (…, C) → (…), 0 where the target is −100, with the head
    /// computed <see cref="Ops.HeadChunkRows"/> kept rows at a time so the (rows, V) logits never exist whole, forward or
    /// backward (<see cref="Ops.ChunkedGatherLogProbs"/>). <paramref name="entropy"/> (one per row), when given, receives
    /// each kept row's entropy in nats.
    /// </summary>
    public Tensor TokenLogProbs(Tensor hidden, ReadOnlySpan<int> targets, float temperature = 1f, Span<float> entropy = default) =>
        Ops.ToHost(Ops.ChunkedGatherLogProbs(hidden, Logits, targets, temperature, Ops.HeadChunkRows(Config.VocabSize), -100, entropy)); // the trainers' losses read them on the host

    /// <summary>One empty cache per layer for <paramref name="batch"/> rows of up to <paramref name="capacity"/> tokens.</summary>
    public KvCache[] CreateCache(int batch, int capacity)
    {
        var caches = new KvCache[Config.Layers];
        for (int i = 0; i < caches.Length; i++) caches[i] = new KvCache(batch, capacity, Config.KvHeads * Config.HeadDim, Device);
        return caches;
    }

    /// <summary>Position of each of the B·T new tokens: (past + t) − keyStart[b], never below 0 (as HF's cumsum(mask) − 1).</summary>
    protected static int[] PositionIds(int batch, int time, int past, int[]? keyStart)
    {
        var pos = new int[batch * time];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < time; t++)
                pos[b * time + t] = Math.Max(0, past + t - (keyStart is null ? 0 : keyStart[b]));
        return pos;
    }

    /// <summary>Checks ids against the vocabulary and sizes, and returns the number of cached positions.</summary>
    protected int ValidateInput(ReadOnlySpan<int> ids, int batch, int time, int[]? keyStart, KvCache[]? cache)
    {
        if (ids.Length != batch * time) throw new ArgumentException($"Forward: {ids.Length} ids do not fill batch {batch} × time {time}.");
        if (keyStart is not null && keyStart.Length != batch) throw new ArgumentException($"Forward: keyStart has {keyStart.Length} entries for batch {batch}.");
        if (cache is not null && cache.Length != Config.Layers) throw new ArgumentException($"Forward: {cache.Length} caches for {Config.Layers} layers.");
        int past = cache?[0].Length ?? 0;
        if (past + time > Config.MaxPositions && Config.Architecture == ModelArchitecture.Gpt2)
            throw new ArgumentException($"Forward: {past + time} positions exceed the model's context of {Config.MaxPositions}.");
        foreach (var id in ids)
            if ((uint)id >= (uint)Config.VocabSize) throw new ArgumentException($"Forward: token id {id} is outside the vocabulary of {Config.VocabSize}.");
        return past;
    }

    /// <summary>Copies every parameter's values from <paramref name="other"/> (same architecture and shapes).</summary>
    public void CopyWeightsFrom(LanguageModel other)
    {
        foreach (var (name, p) in parameters)
        {
            if (!other.parameters.TryGetValue(name, out var q) || q.Size != p.Size)
                throw new ArgumentException($"CopyWeightsFrom: parameter '{name}' is missing or has another shape in the source model.");
            if (p.IsOnDevice || q.IsOnDevice) p.SetValues(q.ToArray()); // through the host: models on accelerators, either side
            else if (q.IsBf16) Rebel.Tensors.Kernels.Bf16.Widen(q.Bf16Bits, p.Span); // a bf16-held source (a frozen LoRA base) copies widened
            else q.Span.CopyTo(p.Span);
        }
    }

    /// <summary>
    /// Freezes every parameter (no gradients) and holds each weight matrix in bfloat16, half the bytes of float32; norms and
    /// biases stay float32. Forward passes widen a matrix to float32 just before its product, so logits differ from the
    /// float32 model's by bf16 rounding of the weights alone. For weights that no longer train (a reference policy, a reward
    /// model, a LoRA base); an optimizer must not hold them.
    /// </summary>
    public void FreezeToBf16() => FreezeMatrices(p => p.FreezeToBf16());

    /// <summary>
    /// <see cref="FreezeToBf16"/> for a model about to be filled by a loader: each weight matrix gets zeroed bf16 storage and its
    /// float32 values are dropped unread, so the float32 weights never become resident.
    /// </summary>
    public void FreezeToBf16Storage() => FreezeMatrices(p => p.FreezeToBf16Storage());

    private void FreezeMatrices(Action<Tensor> hold)
    {
        foreach (var p in parameters.Values)
        {
            if (p.Rank == 2) hold(p);
            else p.Freeze();
        }
    }

    /// <summary>A new model of the same architecture with copied weights (and copied LoRA adapters when <see cref="Lora"/> is set).</summary>
    public LanguageModel CloneModel()
    {
        var copy = ModelFactory.Create(Config);
        copy.CopyWeightsFrom(this);
        if (lora is not null)
        {
            copy.AddLora(lora.Options, new Rng(0));
            for (int i = 0; i < lora.Layers.Count; i++)
            {
                copy.lora!.Layers[i].A.SetValues(lora.Layers[i].A.ToArray());
                copy.lora.Layers[i].B.SetValues(lora.Layers[i].B.ToArray());
            }
        }
        if (!Device.IsHost) copy.ToDevice(Device);
        return copy;
    }
}
