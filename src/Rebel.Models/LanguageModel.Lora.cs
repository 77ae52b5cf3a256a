// LoRA on a language model: which weights are linear layers (and so adaptable), the adapters themselves, the forward
// y = W x + (alpha / r) · B (A (dropout(x))), a per-thread switch that turns every adapter off (the reference policy is the
// base model seen with adapters off, not a second copy), and merging adapters into the weights.
using Rebel.Models.Lora;
using Rebel.Tensors;

namespace Rebel.Models;

public abstract partial class LanguageModel
{
    [ThreadStatic] private static int adaptersOffDepth;
    private readonly Dictionary<string, (Tensor Weight, bool FanInFanOut)> linears = new(StringComparer.Ordinal);
    private LoraState? lora;

    private sealed class LoraState(LoraOptions options, List<LoraLayer> layers, Rng dropoutRng)
    {
        public LoraOptions Options { get; } = options;
        public List<LoraLayer> Layers { get; } = layers;
        public Dictionary<Tensor, LoraLayer> ByWeight { get; } = layers.ToDictionary(l => l.Weight); // Tensor has reference equality
        public Rng DropoutRng { get; } = dropoutRng;
    }

    /// <summary>The LoRA settings when adapters are attached (then only they train), else null.</summary>
    public LoraOptions? Lora => lora?.Options;

    /// <summary>The adapted layers in the model's order (empty without LoRA).</summary>
    public IReadOnlyList<LoraLayer> LoraLayers => lora?.Layers ?? [];

    /// <summary>Module paths of the linear layers LoRA can adapt (Hugging Face names without ".weight"), in creation order.</summary>
    public IEnumerable<string> LinearModules => linears.Keys;

    /// <summary>False inside <see cref="AdaptersOff"/> on this thread: every forward pass then computes the base model.</summary>
    public static bool AdaptersEnabled => adaptersOffDepth == 0;

    /// <summary>Turns every LoRA adapter off on this thread until disposed (the reference policy's forward passes).</summary>
    public static AdaptersOffScope AdaptersOff()
    {
        adaptersOffDepth++;
        return new AdaptersOffScope();
    }

    /// <summary>Ends an <see cref="AdaptersOff"/> region.</summary>
    public readonly struct AdaptersOffScope : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => adaptersOffDepth--;
    }

    /// <summary>Registers the weight (out, in) of a linear layer y = x Wᵀ + b; LoRA may adapt it.</summary>
    protected Tensor LinearParam(string name, int outFeatures, int inFeatures) => RegisterLinear(Param(name, outFeatures, inFeatures), fanInFanOut: false);

    /// <summary>Registers the weight (in, out) of a GPT-2 Conv1D layer y = x W + b; LoRA may adapt it (PEFT's fan_in_fan_out).</summary>
    protected Tensor Conv1DParam(string name, int inFeatures, int outFeatures) => RegisterLinear(Param(name, inFeatures, outFeatures), fanInFanOut: true);

    private Tensor RegisterLinear(Tensor weight, bool fanInFanOut)
    {
        linears.Add(ModulePath(weight.Name!), (weight, fanInFanOut));
        return weight;
    }

    private static string ModulePath(string weightName) =>
        weightName.EndsWith(".weight", StringComparison.Ordinal) ? weightName[..^".weight".Length] : weightName;

    /// <summary>A linear layer registered with <see cref="LinearParam"/>, plus its adapter when one is attached and enabled.</summary>
    protected Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) => Adapt(x, Ops.Linear(x, weight, bias), weight);

    /// <summary>A Conv1D layer registered with <see cref="Conv1DParam"/>, plus its adapter when one is attached and enabled.</summary>
    protected Tensor Conv1D(Tensor x, Tensor weight, Tensor? bias = null) => Adapt(x, Ops.Conv1D(x, weight, bias), weight);

    // y (…, out) + (alpha / r) · B (A (dropout(x))) for x (…, in); dropout only while recording gradients (training).
    private Tensor Adapt(Tensor x, Tensor y, Tensor weight)
    {
        if (lora is null || adaptersOffDepth > 0 || !lora.ByWeight.TryGetValue(weight, out var layer)) return y;
        float p = lora.Options.Dropout;
        var input = p > 0 && Autograd.IsGradEnabled ? Ops.Dropout(x, p, lora.DropoutRng) : x; // (…, in)
        var delta = Ops.Linear(Ops.Linear(input, layer.A), layer.B); // (…, out)
        return Ops.Add(y, Ops.Mul(delta, lora.Options.Scale));
    }

    /// <summary>
    /// Attaches adapters to every linear layer whose module path matches a target (PEFT's rule: equal, or ends with "." + target),
    /// freezes every base weight, and draws A as PEFT does (kaiming-uniform with a = √5: U(−1/√in, 1/√in)) with B = 0.
    /// </summary>
    public void AddLora(LoraOptions options, Rng rng)
    {
        if (lora is not null) throw new InvalidOperationException("AddLora: this model already has LoRA adapters.");
        options.Validate("LoRA");
        var targets = options.Targets ?? LoraOptions.DefaultTargets(Config.Architecture);
        var layers = new List<LoraLayer>();
        foreach (var (path, (weight, fanInFanOut)) in linears)
        {
            if (!targets.Any(t => LoraLayer.Matches(path, t))) continue;
            int outF = weight.Dim(fanInFanOut ? 1 : 0), inF = weight.Dim(fanInFanOut ? 0 : 1);
            var a = Tensor.Parameter([options.Rank, inF], $"{path}.lora_A.weight"); // (r, in)
            var b = Tensor.Parameter([outF, options.Rank], $"{path}.lora_B.weight"); // (out, r)
            float bound = 1f / MathF.Sqrt(inF);
            rng.FillUniform(a.Span, -bound, bound);
            layers.Add(new LoraLayer(path, weight, a, b, fanInFanOut));
        }
        var unmatched = targets.Where(t => !linears.Keys.Any(p => LoraLayer.Matches(p, t))).ToList();
        if (layers.Count == 0 || unmatched.Count > 0)
            throw new ArgumentException($"LoRA: target module(s) {string.Join(", ", (unmatched.Count > 0 ? unmatched : targets).Select(t => $"'{t}'"))} " +
                $"match no linear layer of this {Config.Architecture} model (its linear layers end in: {string.Join(", ", linears.Keys.Select(p => p[(p.LastIndexOf('.') + 1)..]).Distinct())}).");
        foreach (var p in parameters.Values) p.SetTrainable(false);
        lora = new LoraState(options with { Targets = targets }, layers, new Rng(rng.NextUInt64()));
    }

    /// <summary>
    /// Folds every adapter into its weight (W += (alpha / r) · B A, transposed for a Conv1D weight), removes the adapters and makes
    /// every weight trainable again; the model then computes what it computed with adapters on.
    /// </summary>
    public void MergeLora()
    {
        if (lora is null) throw new InvalidOperationException("MergeLora: this model has no LoRA adapters.");
        var device = Device;
        if (!device.IsHost) ToDevice(TensorDevice.Cpu); // a one-off fold, done on the host; the model goes back afterwards
        float scale = lora.Options.Scale;
        foreach (var l in lora.Layers)
        {
            int r = l.A.Dim(0), inF = l.A.Dim(1), outF = l.B.Dim(0);
            l.Weight.WidenInPlace(); // a base held in bf16 is merged in float32
            Span<float> w = l.Weight.Span, a = l.A.Span, b = l.B.Span;
            for (int o = 0; o < outF; o++)
                for (int i = 0; i < inF; i++)
                {
                    float sum = 0f;
                    for (int k = 0; k < r; k++) sum += b[o * r + k] * a[k * inF + i];
                    w[l.FanInFanOut ? i * outF + o : o * inF + i] += scale * sum;
                }
        }
        foreach (var p in parameters.Values) p.SetTrainable(true);
        lora = null;
        if (!device.IsHost) ToDevice(device);
    }

    /// <summary>
    /// The frozen reference policy for a trainer: without LoRA a copy of the weights (<see cref="CloneModel"/>); with LoRA this
    /// same model seen with its adapters off (no second copy of the weights).
    /// </summary>
    public LanguageModel ReferenceModel() => lora is null ? CloneModel() : new AdaptersOffModel(this);

    /// <summary>
    /// What a checkpoint must hold to restore the trainable state: every weight by its Hugging Face name, or with LoRA only the
    /// adapters under PEFT's keys (the frozen base comes from the model folder the run started from).
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> CheckpointTensors => lora is null ? parameters
        : lora.Layers.SelectMany(l => new[] { (l.KeyA, l.A), (l.KeyB, l.B) }).ToDictionary(kv => kv.Item1, kv => kv.Item2, StringComparer.Ordinal);

    // The base model with adapters off: every forward pass runs the wrapped model inside AdaptersOff. Holds no weights of its own.
    private sealed class AdaptersOffModel(LanguageModel inner) : LanguageModel(inner.Config)
    {
        public override void Initialize(Rng rng) =>
            throw new InvalidOperationException("The reference view of a LoRA model has no weights of its own to initialise.");

        public override Tensor ForwardHidden(ReadOnlySpan<int> ids, int batch, int time, int[]? keyStart = null, KvCache[]? cache = null)
        {
            using var off = AdaptersOff();
            return inner.ForwardHidden(ids, batch, time, keyStart, cache);
        }

        public override Tensor Logits(Tensor hidden)
        {
            using var off = AdaptersOff();
            return inner.Logits(hidden);
        }
    }
}
