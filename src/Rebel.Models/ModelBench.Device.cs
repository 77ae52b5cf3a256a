// `rebel bench model --device`: the same benches on an accelerator. The host's limits (its GEMM and memory bandwidth) say nothing
// about a GPU, so on an accelerator both are measured on the device itself, through the same ops the model runs: a matrix product
// at the model's MLP shape (cuBLAS on cuda) and an element-wise add (the engine's kernel). Every timing waits for the device first.
using System.Diagnostics;
using Rebel.Tensors;

namespace Rebel.Models;

public static partial class ModelBench
{
    /// <summary>
    /// Best GFLOP/s of C = A·B at (m, n, k) with A and B on <paramref name="device"/> (<see cref="Ops.MatMul"/>: cuBLAS on cuda), over
    /// <paramref name="repeats"/> timed batches of about <paramref name="minSeconds"/> each after a warm-up; each batch ends with
    /// <see cref="TensorDevice.Synchronize"/> before the clock is read.
    /// </summary>
    public static double DeviceGemmGflops(TensorDevice device, int m, int n, int k, int repeats = 3, double minSeconds = 0.1)
    {
        ArgumentNullException.ThrowIfNull(device);
        double seconds = TimeOnDevice(device, [m, k], [k, n], (a, b) => Ops.MatMul(a, b), repeats, minSeconds); // (m, k)·(k, n)
        return 2.0 * m * n * k / seconds / 1e9;
    }

    /// <summary>
    /// Best GB/s of the element-wise add c = a + b over <paramref name="floats"/> floats on <paramref name="device"/> (the engine's
    /// kernel), counted as STREAM's add counts it: two reads and one write, 12 bytes per element.
    /// </summary>
    public static double DeviceAddGigabytesPerSecond(TensorDevice device, int floats = 16 << 20, int repeats = 3, double minSeconds = 0.1)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(floats, 1);
        double seconds = TimeOnDevice(device, [floats], [floats], Ops.Add, repeats, minSeconds); // (N) + (N)
        return 12.0 * floats / seconds / 1e9;
    }

    // Best seconds per call of op on two random operands of the given shapes on the device: one warm-up call, then repeats batches
    // sized to about minSeconds, each in its own scope (the results go back to the device's pool) and closed by a synchronisation.
    // The operands live in a scope of their own and the pool is emptied afterwards, so the model's peak device bytes leave them out.
    private static double TimeOnDevice(TensorDevice device, int[] shapeA, int[] shapeB, Func<Tensor, Tensor, Tensor> op, int repeats, double minSeconds)
    {
        try
        {
            using (new TensorScope())
            {
                Tensor a = RandomOn(device, shapeA), b = RandomOn(device, shapeB);
                double Batch(int calls)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    using (new TensorScope())
                    {
                        for (int i = 0; i < calls; i++) op(a, b);
                        device.Synchronize();
                    }
                    return Math.Max(Stopwatch.GetElapsedTime(t0).TotalSeconds, 1e-9) / calls;
                }
                Batch(1);
                int calls = Math.Max(1, (int)(minSeconds / Batch(1)));
                double best = double.MaxValue;
                for (int r = 0; r < repeats; r++) best = Math.Min(best, Batch(calls));
                return best;
            }
        }
        finally
        {
            device.TrimPool();
        }
    }

    private static Tensor RandomOn(TensorDevice device, int[] shape)
    {
        var values = new float[shape.Aggregate(1, (n, d) => n * d)];
        new Rng(1234).FillUniform(values, -1f, 1f);
        return Ops.ToDevice(Tensor.FromArray(values, shape), device);
    }

    // On an accelerator every line names the device; on the host the lines stay as they were.
    private static BenchFigures Tagged(BenchFigures line, TensorDevice device) =>
        device.IsHost ? line : line with { Figures = [.. line.Figures, ("device", device.ToString())] };

    // The bench's line, or, for a bench the accelerator cannot run yet (an op without a kernel there), a line that says why.
    private static BenchFigures OrUnsupported(string bench, TensorDevice device, Func<BenchFigures> measure)
    {
        try
        {
            return measure();
        }
        catch (NotSupportedException e) when (!device.IsHost)
        {
            return new(bench, [("unsupported", e.Message)]);
        }
    }
}
