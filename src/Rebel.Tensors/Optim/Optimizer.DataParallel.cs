// The one place where gradients become an optimizer step, and with it data parallelism: every rank's gradient is averaged
// over the job in one flat all-reduce before clipping, so each rank takes the same step and keeps the same parameters.
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Rebel.Tensors.Distributed;

namespace Rebel.Tensors.Optim;

public abstract partial class Optimizer
{
    private float[]? flat;

    /// <summary>Seconds spent so far averaging gradients across processes (0 in a single process).</summary>
    public double AllReduceSeconds { get; private set; }

    /// <summary>
    /// Averages the gradients over <paramref name="job"/>: each rank's loss is a mean over its equal share of the global batch,
    /// so the mean of the ranks' gradients is the gradient of the global batch. One flat buffer holds every parameter's gradient
    /// plus a flag per parameter saying whether any rank produced one (a parameter no rank reached keeps no gradient, as in one process).
    /// </summary>
    public void AverageGradients(ICollectives job)
    {
        if (job.Size == 1) return;
        var clock = Stopwatch.StartNew();
        long total = Parameters.Sum(p => (long)p.Size) + Parameters.Count;
        if (total > Array.MaxLength) throw new InvalidOperationException($"AverageGradients: {total} gradient elements exceed one buffer.");
        flat ??= new float[total];
        var buffer = flat.AsSpan();
        int offset = 0;
        foreach (var p in Parameters)
        {
            var dst = buffer.Slice(offset, p.Size);
            if (p.Grad is { } g) g.AsSpan(0, p.Size).CopyTo(dst); else dst.Clear();
            offset += p.Size;
        }
        int flags = offset;
        for (int i = 0; i < Parameters.Count; i++) buffer[flags + i] = Parameters[i].Grad is null ? 0f : 1f;
        job.AllReduceSum(buffer);
        float scale = 1f / job.Size;
        offset = 0;
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            if (p.Grad is not null || buffer[flags + i] > 0)
            {
                var averaged = buffer.Slice(offset, p.Size);
                if (p.IsOnDevice) // a gradient on an accelerator travels through the host buffer and back
                {
                    TensorPrimitives.Multiply(averaged, scale, averaged);
                    p.UploadGrad(averaged);
                }
                else TensorPrimitives.Multiply(averaged, scale, p.GradSpan);
            }
            offset += p.Size;
        }
        AllReduceSeconds += clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Averages the gradients over <see cref="Collectives.World"/>, clips their global norm to <paramref name="maxGradNorm"/>, steps
    /// and zeroes them; returns the norm before clipping. Every trainer steps through here, which makes each one data-parallel.
    /// </summary>
    public double ClipAndStep(float maxGradNorm)
    {
        var job = Collectives.World;
        AverageGradients(job);
        double norm = ClipGradNorm(Parameters, maxGradNorm);
        Step();
        ZeroGrad();
        if (Collectives.ReplicaCheckEvery > 0 && StepCount % Collectives.ReplicaCheckEvery == 0) CheckReplicas(job);
        return norm;
    }

    /// <summary>Stops with an error naming the ranks whose parameters differ bit-wise from rank 0's (compares a 64-bit hash).</summary>
    public void CheckReplicas(ICollectives job)
    {
        var hashes = job.AllGather(ParameterHash());
        var differing = Enumerable.Range(0, hashes.Length).Where(r => hashes[r] != hashes[0]).ToArray();
        if (differing.Length > 0)
            throw new InvalidOperationException($"Replica check after step {StepCount}: the parameters of rank(s) {string.Join(", ", differing)} differ from rank 0's.");
    }

    /// <summary>A 64-bit hash of the parameters' bits (multiply–rotate over 32-bit words; equal parameters give equal hashes).</summary>
    public ulong ParameterHash()
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (var p in Parameters)
            foreach (uint w in MemoryMarshal.Cast<float, uint>(p.IsOnDevice ? p.ToArray() : p.Span))
                h = ulong.RotateLeft((h ^ w) * 0xBF58476D1CE4E5B9UL, 31);
        return h;
    }
}
