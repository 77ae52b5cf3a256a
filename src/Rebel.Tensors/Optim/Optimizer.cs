// Optimizers over a fixed list of parameters: AdamW (decoupled weight decay) and SGD with momentum,
// plus global-norm gradient clipping. State is exposed so checkpoints can save and restore it exactly.
using System.Numerics.Tensors;
using Rebel.Tensors.Kernels;

namespace Rebel.Tensors.Optim;

/// <summary>Base of the optimizers: owns the parameter list and the learning rate.</summary>
public abstract partial class Optimizer
{
    /// <summary>The parameters updated by <see cref="Step"/>.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    private readonly List<StorageLease> leases = [];

    /// <summary>Learning rate used by the next step (schedules set it before each step).</summary>
    public float LearningRate { get; set; }

    /// <summary>Steps taken so far.</summary>
    public long StepCount { get; protected set; }

    /// <summary>Stores the parameters and learning rate.</summary>
    protected Optimizer(IEnumerable<Tensor> parameters, float learningRate)
    {
        Parameters = parameters.ToArray();
        foreach (var p in Parameters)
            if (!p.IsParameter) throw new ArgumentException($"Optimizer: {p} is not a parameter.");
        LearningRate = learningRate;
    }

    /// <summary>A zeroed state buffer per parameter (counted in <see cref="TensorMemory"/> while the optimizer lives).</summary>
    private protected float[][] NewState()
    {
        leases.Add(new StorageLease(Parameters.Sum(p => (long)p.Size)));
        return [.. Parameters.Select(p => new float[p.Size])];
    }

    /// <summary>Applies one update from the accumulated gradients (parameters without a gradient are skipped).</summary>
    public abstract void Step();

    /// <summary>Zeroes every parameter's gradient (parameters spread over threads).</summary>
    public void ZeroGrad() => WorkerTeam.For(Parameters.Count, i => Parameters[i].ZeroGrad());

    /// <summary>Per-parameter state buffers in a fixed order, for checkpoints.</summary>
    public abstract IReadOnlyList<float[]> StateBuffers();

    /// <summary>
    /// Call after writing into the arrays <see cref="StateBuffers"/> returned (a checkpoint being restored): state kept on an
    /// accelerator is copied there again. Nothing to do for parameters on the host, whose state is those arrays.
    /// </summary>
    public virtual void StateBuffersWritten()
    {
    }

    /// <summary>Restores the step count (state buffers are restored in place through <see cref="StateBuffers"/>).</summary>
    public void RestoreStepCount(long steps) => StepCount = steps;

    /// <summary>Scales all gradients so their global L2 norm is at most <paramref name="maxNorm"/>; returns the norm before clipping.</summary>
    public static float ClipGradNorm(IEnumerable<Tensor> parameters, float maxNorm)
    {
        var list = parameters.ToArray();
        double sq = 0;
        foreach (var p in list)
            if (!p.IsOnDevice && p.Grad is { } g) { float n = TensorPrimitives.Norm(g.AsSpan(0, p.Size)); sq += (double)n * n; }
        foreach (var onDevice in list.Where(p => p.IsOnDevice && p.DeviceGradOrNull is not null).GroupBy(p => p.Device)) // one read-back per device
            sq += onDevice.Key.SumOfSquares([.. onDevice.Select(p => (p.DeviceGradOrNull!, p.Size))]);
        float norm = (float)Math.Sqrt(sq);
        if (norm > maxNorm && norm > 0)
        {
            float scale = maxNorm / (norm + 1e-6f);
            foreach (var p in list)
            {
                if (p.IsOnDevice)
                {
                    if (p.DeviceGradOrNull is { } dg) p.Device.ScaleInPlace(dg, scale, p.Size);
                }
                else if (p.Grad is { } g) TensorPrimitives.Multiply(g.AsSpan(0, p.Size), scale, g.AsSpan(0, p.Size));
            }
        }
        return norm;
    }
}

/// <summary>
/// AdamW (Loshchilov &amp; Hutter): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − lr·(m̂/(√v̂ + ε) + λθ),
/// with bias-corrected m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ). Weight decay is decoupled (applied as θ ← θ(1 − lr·λ)).
/// </summary>
public sealed class AdamW : Optimizer
{
    private readonly float[][] m, v;
    private readonly DeviceStorage?[] deviceM, deviceV; // moments of parameters on an accelerator, kept there
    private readonly List<StorageLease> deviceLeases = [];

    /// <summary>β₁ (default 0.9).</summary>
    public float Beta1 { get; }

    /// <summary>β₂ (default 0.999).</summary>
    public float Beta2 { get; }

    /// <summary>ε (default 1e-8; REBEL's authors use 1e-5).</summary>
    public float Epsilon { get; }

    /// <summary>λ, decoupled weight decay (default 0.01 as in PyTorch).</summary>
    public float WeightDecay { get; }

    /// <summary>Creates the optimizer with zero moments.</summary>
    public AdamW(IEnumerable<Tensor> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float epsilon = 1e-8f, float weightDecay = 0.01f) : base(parameters, learningRate)
    {
        Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon; WeightDecay = weightDecay;
        m = NewState();
        v = NewState();
        deviceM = new DeviceStorage?[Parameters.Count];
        deviceV = new DeviceStorage?[Parameters.Count];
    }

    /// <inheritdoc />
    public override void Step()
    {
        StepCount++;
        float bc1 = 1f - MathF.Pow(Beta1, StepCount), bc2 = 1f - MathF.Pow(Beta2, StepCount);
        var step = new AdamWStep(Beta1, Beta2, Epsilon, bc1, bc2, LearningRate, 1f - LearningRate * WeightDecay);
        for (int i = 0; i < Parameters.Count; i++) // an accelerator runs its own kernels (one thread drives a device)
        {
            var p = Parameters[i];
            if (!p.IsOnDevice || p.DeviceGradOrNull is not { } g) continue;
            var (dm, dv) = DeviceMoments(i);
            p.Device.AdamW(p.Storage, g, dm, dv, p.Size, step);
        }
        WorkerTeam.For(Parameters.Count, i =>
        {
            var p = Parameters[i];
            if (p.IsOnDevice || p.Grad is null) return;
            AdamWKernel.Update(p.Span, p.Grad.AsSpan(0, p.Size), m[i], v[i], step);
        });
    }

    // The moments of parameter i on its accelerator, uploaded from the host arrays (zeros, or a restored checkpoint) on first use.
    private (DeviceStorage M, DeviceStorage V) DeviceMoments(int i)
    {
        var p = Parameters[i];
        if (deviceM[i] is null || deviceM[i]!.Device != p.Device)
        {
            deviceM[i] = p.Device.AllocateStorage(Math.Max(p.Size, 1));
            deviceV[i] = p.Device.AllocateStorage(Math.Max(p.Size, 1));
            deviceLeases.Add(new StorageLease(2L * Math.Max(p.Size, 1), onDevice: true)); // counted while the optimizer lives
            deviceM[i]!.Upload(m[i]);
            deviceV[i]!.Upload(v[i]);
        }
        return (deviceM[i]!, deviceV[i]!);
    }

    /// <inheritdoc />
    public override IReadOnlyList<float[]> StateBuffers()
    {
        for (int i = 0; i < Parameters.Count; i++) // moments on an accelerator: copied into the host arrays for the checkpoint
        {
            if (deviceM[i] is null) continue;
            deviceM[i]!.Download(m[i]);
            deviceV[i]!.Download(v[i]);
        }
        return [.. m, .. v];
    }

    /// <inheritdoc />
    public override void StateBuffersWritten()
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            if (deviceM[i] is null) continue;
            deviceM[i]!.Upload(m[i]);
            deviceV[i]!.Upload(v[i]);
        }
    }
}

/// <summary>SGD with momentum: b ← μb + g, θ ← θ − lr·b (PyTorch's formulation, no dampening).</summary>
public sealed class Sgd : Optimizer
{
    private readonly float[][] buffers;

    /// <summary>μ (default 0.9).</summary>
    public float Momentum { get; }

    /// <summary>Creates the optimizer with zero momentum buffers.</summary>
    public Sgd(IEnumerable<Tensor> parameters, float learningRate = 1e-2f, float momentum = 0.9f) : base(parameters, learningRate)
    {
        Momentum = momentum;
        buffers = NewState();
    }

    /// <inheritdoc />
    public override void Step()
    {
        StepCount++;
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            if (p.IsOnDevice) throw p.Device.MissingKernel("SGD");
            if (p.Grad is null) continue;
            var b = buffers[i].AsSpan(); var g = p.Grad.AsSpan(0, p.Size);
            TensorPrimitives.MultiplyAdd(b, Momentum, g, b);
            TensorPrimitives.MultiplyAdd(b, -LearningRate, p.Span, p.Span);
        }
    }

    /// <inheritdoc />
    public override IReadOnlyList<float[]> StateBuffers() => buffers;
}
