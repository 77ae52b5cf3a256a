// A scalar head on top of a language model's hidden states, for reward models and PPO critics. Saved beside the
// model's weights as Hugging Face's *ForSequenceClassification does ("score.weight", no bias) or as TRL's
// value-head models do ("v_head.summary.weight" / "v_head.summary.bias").
using Rebel.Tensors;

namespace Rebel.Models;

/// <summary>Linear C → 1 applied to every position's hidden state.</summary>
public sealed class ValueHead
{
    /// <summary>Hugging Face sequence-classification name prefix (weight only).</summary>
    public const string ScorePrefix = "score";

    /// <summary>TRL value-head name prefix (weight and bias).</summary>
    public const string VHeadPrefix = "v_head.summary";

    /// <summary>Weight (1, C).</summary>
    public Tensor Weight { get; }

    /// <summary>Bias (1), or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>Name prefix of the tensors ("score" or "v_head.summary").</summary>
    public string Prefix { get; }

    /// <summary>A zero head for hidden size <paramref name="hiddenSize"/>; a bias exists when <paramref name="bias"/> is true.</summary>
    public ValueHead(int hiddenSize, string prefix = ScorePrefix, bool bias = false)
    {
        if (hiddenSize <= 0) throw new ArgumentException($"ValueHead: hidden size {hiddenSize} must be positive.");
        Prefix = prefix;
        Weight = Tensor.Parameter([1, hiddenSize], prefix + ".weight");
        Bias = bias ? Tensor.Parameter([1], prefix + ".bias") : null;
    }

    /// <summary>The head's parameters keyed by checkpoint name.</summary>
    public IReadOnlyDictionary<string, Tensor> NamedParameters =>
        Bias is null ? new Dictionary<string, Tensor> { [Weight.Name!] = Weight } : new Dictionary<string, Tensor> { [Weight.Name!] = Weight, [Bias.Name!] = Bias };

    /// <summary>Trainable parameters.</summary>
    public IReadOnlyList<Tensor> Parameters => Bias is null ? [Weight] : [Weight, Bias];

    /// <summary>Weight drawn from Normal(0, <paramref name="std"/>) (default 0.02, as the model's own linear layers), bias zero.</summary>
    public void Initialize(Rng rng, float std = 0.02f)
    {
        rng.FillNormal(Weight.Span, 0f, std);
        Bias?.Span.Clear();
    }

    /// <summary>Moves the head's weights to <paramref name="device"/> (that of the model whose hidden states it reads).</summary>
    public void ToDevice(TensorDevice device)
    {
        Weight.MoveTo(device);
        Bias?.MoveTo(device);
    }

    /// <summary>One scalar per position: hidden (…, C) → (…), on the host (the trainers' losses read the scores there).</summary>
    public Tensor Score(Tensor hidden)
    {
        var y = Ops.Linear(hidden, Weight, Bias); // (…, 1)
        return Ops.ToHost(Ops.Reshape(y, hidden.Shape[..^1]));
    }
}
