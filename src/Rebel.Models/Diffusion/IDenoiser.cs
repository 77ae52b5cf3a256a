// The network behind a diffusion sampler: ε_θ(x_t, t, c) (or v_θ), whatever its architecture. The DDIM sampler, the
// pretrainer and the RL trainers see only this interface, so a transformer (DitModel) and a convolutional U-Net (UnetModel)
// are interchangeable; DitConfig.Architecture names which one a config builds.
using Rebel.Tensors;

namespace Rebel.Models.Diffusion;

/// <summary>A conditional denoiser: images (B, Channels, S, S), timesteps and condition ids in, predicted ε or v of the same shape out.</summary>
public interface IDenoiser
{
    /// <summary>Hyper-parameters (<see cref="DitConfig.Architecture"/> says which network).</summary>
    DitConfig Config { get; }

    /// <summary>Parameters by name, in creation order.</summary>
    IReadOnlyDictionary<string, Tensor> NamedParameters { get; }

    /// <summary>All trainable parameters.</summary>
    IReadOnlyList<Tensor> Parameters => [.. NamedParameters.Values];

    /// <summary>Number of scalar parameters.</summary>
    long ParameterCount => NamedParameters.Values.Sum(p => (long)p.Size);

    /// <summary>Where the weights live and the forward pass runs (<see cref="TensorDevice.Cpu"/> unless moved).</summary>
    TensorDevice Device => NamedParameters.Values.FirstOrDefault()?.Device ?? TensorDevice.Cpu;

    /// <summary>Moves every weight to <paramref name="device"/>; images and predictions stay host tensors at the interface.</summary>
    void ToDevice(TensorDevice device)
    {
        foreach (var p in NamedParameters.Values) p.MoveTo(device);
    }

    /// <summary>Draws the architecture's initial weights.</summary>
    void Initialize(Rng rng);

    /// <summary>
    /// Predicted noise (or v) (B, Channels, S, S) for images <paramref name="x"/> (B, Channels, S, S) at integer timesteps
    /// <paramref name="timesteps"/> (B) with condition ids <paramref name="conditions"/> (B·A, row-major, A = ConditionSizes.Length).
    /// </summary>
    Tensor Forward(Tensor x, ReadOnlySpan<int> timesteps, ReadOnlySpan<int> conditions);
}

/// <summary>Builds the denoiser a config names.</summary>
public static class Denoiser
{
    /// <summary>A <see cref="DitModel"/> or <see cref="UnetModel"/> with zero parameters, as <see cref="DitConfig.Architecture"/> says.</summary>
    public static IDenoiser Create(DitConfig config) => config.Architecture == DitConfig.Unet ? new UnetModel(config) : new DitModel(config);

    /// <summary>A fresh denoiser with <paramref name="model"/>'s config and a copy of its weights (a frozen reference).</summary>
    public static IDenoiser Copy(IDenoiser model)
    {
        var copy = Create(model.Config);
        foreach (var (name, tensor) in model.NamedParameters) copy.NamedParameters[name].SetValues(tensor.ToArray());
        if (!model.Device.IsHost) copy.ToDevice(model.Device);
        return copy;
    }

    /// <summary>Checks <paramref name="x"/> (B, Channels, S, S), the timesteps and the condition ids against <paramref name="config"/>; returns B.</summary>
    public static int CheckInput(DitConfig config, Tensor x, ReadOnlySpan<int> timesteps, ReadOnlySpan<int> conditions)
    {
        string name = config.Architecture == DitConfig.Unet ? nameof(UnetModel) : nameof(DitModel);
        if (x.Rank != 4 || x.Shape[1] != config.Channels || x.Shape[2] != config.ImageSize || x.Shape[3] != config.ImageSize)
            throw new ArgumentException($"{name}: input {Tensor.Format(x.Shape)} is not (B, {config.Channels}, {config.ImageSize}, {config.ImageSize}).");
        int b = x.Shape[0];
        if (timesteps.Length != b) throw new ArgumentException($"{name}: {timesteps.Length} timesteps for batch {b}.");
        if (conditions.Length != b * config.ConditionSizes.Length) throw new ArgumentException($"{name}: {conditions.Length} condition ids for batch {b} × {config.ConditionSizes.Length} attributes.");
        foreach (var t in timesteps)
            if ((uint)t >= (uint)config.TrainTimesteps) throw new ArgumentException($"{name}: timestep {t} is outside [0, {config.TrainTimesteps}).");
        for (int i = 0; i < conditions.Length; i++)
        {
            int n = config.ConditionSizes[i % config.ConditionSizes.Length];
            if ((uint)conditions[i] >= (uint)n) throw new ArgumentException($"{name}: condition id {conditions[i]} of attribute {i % config.ConditionSizes.Length} is outside [0, {n}).");
        }
        return b;
    }

    /// <summary>Sinusoidal features of t, [cos(t·ω_i), sin(t·ω_i)] with ω_i = 10000^(−i/half), (B, F) for F = <paramref name="features"/>.</summary>
    public static Tensor TimestepFeatures(ReadOnlySpan<int> timesteps, int features)
    {
        int b = timesteps.Length, half = features / 2;
        var values = new float[b * 2 * half];
        for (int i = 0; i < b; i++)
            for (int k = 0; k < half; k++)
            {
                double arg = timesteps[i] * Math.Exp(-Math.Log(10000) * k / half);
                values[i * 2 * half + k] = (float)Math.Cos(arg);
                values[i * 2 * half + half + k] = (float)Math.Sin(arg);
            }
        return Tensor.FromArray(values, b, 2 * half);
    }

    /// <summary>Σ over attributes a of tables[a][id_a], (B, C).</summary>
    public static Tensor ConditionEmbedding(IReadOnlyList<Tensor> tables, ReadOnlySpan<int> conditions, int batch)
    {
        int attributes = tables.Count;
        Tensor? sum = null;
        var ids = new int[batch];
        for (int a = 0; a < attributes; a++)
        {
            for (int i = 0; i < batch; i++) ids[i] = conditions[i * attributes + a];
            var e = Ops.Embedding(tables[a], ids, batch); // (B, C)
            sum = sum is null ? e : Ops.Add(sum, e);
        }
        return sum!;
    }
}
