// Moving tensors between the host and an accelerator, and the dispatch every op uses: all operands on the host run the
// managed kernels; all on one accelerator run that device's kernels (TensorDevice.Kernels.cs); mixed devices are an error
// that names the op, both devices and the fix.
namespace Rebel.Tensors;

public static partial class Ops
{
    /// <summary>
    /// A copy of <paramref name="a"/> on <paramref name="device"/> (the tensor itself when it already lives there). Recorded on the
    /// tape: the gradient of the copy flows back to <paramref name="a"/> on its own device.
    /// </summary>
    public static Tensor ToDevice(Tensor a, TensorDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (a.Device == device) return a;
        if (device.IsHost) return ToHost(a);
        if (a.IsOnDevice) return ToDevice(ToHost(a), device);
        var y = Tensor.OnDevice(device, a.Shape);
        if (a.Size > 0) y.Storage.Upload(a.IsBf16 ? a.Widened().Span : a.Span);
        return Autograd.Record(y, "to_device", [a], () =>
        {
            var g = new float[a.Size];
            if (a.Size > 0) y.DeviceGrad.Download(g);
            System.Numerics.Tensors.TensorPrimitives.Add(a.GradSpan, g, a.GradSpan);
        });
    }

    /// <summary>A host copy of <paramref name="a"/> (the tensor itself when it lives on the host). Recorded on the tape: the gradient
    /// is copied back to the device.</summary>
    public static Tensor ToHost(Tensor a)
    {
        if (!a.IsOnDevice) return a;
        var y = Tensor.Uninitialized(a.Shape);
        if (a.Size > 0) a.Storage.Download(y.Span);
        return Autograd.Record(y, "to_host", [a], () =>
        {
            var device = a.Device;
            var g = TensorScope.RentDevice(device, a.Size, clear: false);
            if (a.Size > 0) g.Upload(y.GradSpan);
            device.Accumulate(g, a.DeviceGrad, a.Size);
            TensorScope.ReleaseDevice(g);
        });
    }

    /// <summary>The accelerator <paramref name="a"/> lives on, or null for the host.</summary>
    private static TensorDevice? AcceleratorOf(Tensor a) => a.IsOnDevice ? a.Device : null;

    /// <summary>The accelerator both operands live on, null when both are on the host; mixed devices are an error naming both.</summary>
    private static TensorDevice? AcceleratorOf(string op, Tensor a, Tensor b)
    {
        if (!a.IsOnDevice && !b.IsOnDevice) return null;
        if (a.Device != b.Device) throw MixedDevices(op, a, b);
        return a.Device;
    }

    /// <summary>True when any of <paramref name="tensors"/> lives on an accelerator (no allocation, for host hot paths).</summary>
    private static bool AnyOnDevice(IReadOnlyList<Tensor> tensors)
    {
        for (int i = 0; i < tensors.Count; i++)
            if (tensors[i].IsOnDevice) return true;
        return false;
    }

    /// <summary>The accelerator every given operand (nulls skipped) lives on, or null when all are on the host.</summary>
    private static TensorDevice? AcceleratorOf(string op, ReadOnlySpan<Tensor?> operands)
    {
        Tensor? first = null;
        bool any = false;
        foreach (var t in operands)
        {
            if (t is null) continue;
            first ??= t;
            any |= t.IsOnDevice;
            if (t.Device != first.Device) throw MixedDevices(op, first, t);
        }
        return any ? first!.Device : null;
    }

    private static ArgumentException MixedDevices(string op, Tensor a, Tensor b) =>
        new($"{op}: {a} lives on {a.Device}, {b} on {b.Device}; move one with Ops.ToDevice / Ops.ToHost (or the model with ToDevice) first.");

    /// <summary>The device gradient of <paramref name="t"/> when gradients flow into it, else null.</summary>
    private static DeviceStorage? GradIfNeeded(Tensor t) => t.RequiresGrad ? t.DeviceGrad : null;
}
