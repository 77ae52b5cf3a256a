// Optimizer kernels: the AdamW update (the same float operations in the same order as the engine's AdamWKernel) and global-norm
// gradient clipping (sum of squares by as many strided threads as the device runs at once, one atomic add each, then an in-place scale).
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

public sealed partial class DeviceKernels
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int>? sumSquaresKernel;

    /// <summary>Constants of one AdamW step: β₁, β₂, ε, bias corrections 1 − βᵗ, learning rate, decay factor 1 − lr·λ.</summary>
    internal readonly record struct AdamWConstants(float Beta1, float Beta2, float Epsilon, float Correction1, float Correction2, float LearningRate, float Decay);

    /// <summary>
    /// One AdamW update in place: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ·(1 − lr·λ) − lr·(m/c₁)/(√(v/c₂) + ε).
    /// </summary>
    internal void AdamW(DeviceBuffer theta, DeviceBuffer g, DeviceBuffer m, DeviceBuffer v, AdamWConstants constants)
    {
        RequireSameShape("AdamW", "parameter", theta, "gradient", g);
        RequireSameShape("AdamW", "parameter", theta, "first moment", m);
        RequireSameShape("AdamW", "parameter", theta, "second moment", v);
        Run(new AdamWOp(theta.View, g.View, m.View, v.View, constants), theta.Size);
    }

    /// <summary>One element's AdamW update.</summary>
    internal readonly struct AdamWOp(ArrayView<float> theta, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, AdamWConstants s) : IElementOp
    {
        private readonly ArrayView<float> theta = theta, g = g, m = m, v = v;
        private readonly AdamWConstants s = s;

        public void Apply(int i)
        {
            float gi = g[i];
            float mk = s.Beta1 * m[i] + (1f - s.Beta1) * gi;
            float vk = s.Beta2 * v[i] + (1f - s.Beta2) * gi * gi;
            m[i] = mk;
            v[i] = vk;
            theta[i] = theta[i] * s.Decay - s.LearningRate * (mk / s.Correction1) / (XMath.Sqrt(vk / s.Correction2) + s.Epsilon);
        }
    }

    /// <summary>
    /// Scales every gradient in <paramref name="gradients"/> so that their global L2 norm is at most <paramref name="maxNorm"/>
    /// (by maxNorm / (norm + 1e-6), as the engine's Optimizer.ClipGradNorm); returns the norm before clipping.
    /// </summary>
    public float ClipGradNorm(IReadOnlyList<DeviceBuffer> gradients, float maxNorm)
    {
        sumSquaresKernel ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(SumSquaresKernel);
        using var total = device.Allocate(1);
        foreach (var g in gradients)
        {
            RequireHere("ClipGradNorm", g);
            int threads = Math.Min(g.Size, Math.Max(1, Accelerator.MaxNumThreads));
            if (g.Size > 0) sumSquaresKernel(threads, g.View, total.View, threads);
        }
        float norm = MathF.Sqrt(total.ToArray()[0]);
        if (norm > maxNorm && norm > 0)
        {
            float scale = maxNorm / (norm + 1e-6f);
            foreach (var g in gradients)
                Run(new ScaleOp(g.View, g.View, scale, accumulate: false), g.Size); // in place: g = scale·g
        }
        return norm;
    }

    // total[0] += Σ_k g[k]², thread i summing k = i, i + stride, …
    [DeviceKernel]
    private static void SumSquaresKernel(Index1D i, ArrayView<float> g, ArrayView<float> total, int stride)
    {
        float sum = 0f;
        for (long k = i; k < g.Length; k += stride) sum += g[k] * g[k];
        Atomic.Add(ref total[0], sum);
    }
}

/// <summary>
/// AdamW with its moments on the device (Loshchilov &amp; Hutter, decoupled weight decay), the engine's AdamW step for step:
/// same defaults, same bias corrections 1 − βᵗ, same update order.
/// </summary>
public sealed class DeviceAdamW : IDisposable
{
    private readonly AcceleratorDevice device;
    private readonly DeviceBuffer[] parameters, m, v;

    /// <summary>Learning rate of the next step (schedules set it before each step).</summary>
    public float LearningRate { get; set; }

    /// <summary>β₁ (default 0.9).</summary>
    public float Beta1 { get; }

    /// <summary>β₂ (default 0.999).</summary>
    public float Beta2 { get; }

    /// <summary>ε (default 1e-8).</summary>
    public float Epsilon { get; }

    /// <summary>λ, decoupled weight decay (default 0.01 as in PyTorch).</summary>
    public float WeightDecay { get; }

    /// <summary>Steps taken so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>Creates the optimizer over device parameters with zero moments on the same device.</summary>
    public DeviceAdamW(AcceleratorDevice device, IEnumerable<DeviceBuffer> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float epsilon = 1e-8f, float weightDecay = 0.01f)
    {
        this.device = device;
        this.parameters = [.. parameters];
        foreach (var p in this.parameters)
            if (p.Device != device) throw new ArgumentException($"DeviceAdamW: parameter {p} lives on {p.Device}, the optimizer on {device}.");
        LearningRate = learningRate; Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon; WeightDecay = weightDecay;
        m = [.. this.parameters.Select(p => device.Allocate(p.Shape))];
        v = [.. this.parameters.Select(p => device.Allocate(p.Shape))];
    }

    /// <summary>One update from <paramref name="gradients"/>, one per parameter in order; a null gradient skips its parameter.</summary>
    public void Step(IReadOnlyList<DeviceBuffer?> gradients)
    {
        if (gradients.Count != parameters.Length)
            throw new ArgumentException($"DeviceAdamW.Step: {gradients.Count} gradients for {parameters.Length} parameters.");
        StepCount++;
        float bc1 = 1f - MathF.Pow(Beta1, StepCount), bc2 = 1f - MathF.Pow(Beta2, StepCount);
        var constants = new DeviceKernels.AdamWConstants(Beta1, Beta2, Epsilon, bc1, bc2, LearningRate, 1f - LearningRate * WeightDecay);
        for (int i = 0; i < parameters.Length; i++)
            if (gradients[i] is { } g) device.Kernels.AdamW(parameters[i], g, m[i], v[i], constants);
    }

    /// <summary>The moments in a fixed order (all first moments, then all second), copied to the host, for checkpoints.</summary>
    public IReadOnlyList<float[]> StateBuffers() => [.. m.Select(b => b.ToArray()), .. v.Select(b => b.ToArray())];

    /// <summary>Frees the moments.</summary>
    public void Dispose()
    {
        foreach (var b in m) b.Dispose();
        foreach (var b in v) b.Dispose();
    }
}
