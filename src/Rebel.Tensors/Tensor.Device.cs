// Tensors on an accelerator: the storage is a DeviceStorage instead of an array, and so is the gradient. Shapes, names, the
// parameter flag and the tape are the same as on the host. Host code that reads a device tensor's values gets an error naming
// the tensor and the device; moving is explicit (Ops.ToDevice/ToHost for values on the tape, MoveTo for leaves in place).
using System.Diagnostics.CodeAnalysis;

namespace Rebel.Tensors;

public sealed partial class Tensor
{
    private DeviceStorage? storage;  // set when the tensor lives on an accelerator; data is then empty
    private DeviceStorage? deviceGrad;
    private bool ownsStorage;        // a leaf's own device storage (parameters moved there), freed with MoveTo back

    internal Tensor(int[] shape, DeviceStorage storage, bool isParameter)
    {
        storage = storage.Root;
        Shape = shape;
        Size = ShapeSize(shape);
        if (Size > storage.Capacity)
            throw new ArgumentException($"Tensor: device storage of {storage.Capacity} floats cannot hold shape {Format(shape)}.");
        this.storage = storage;
        data = [];
        IsParameter = isParameter;
    }

    /// <summary>Where the tensor lives: <see cref="TensorDevice.Cpu"/> for host arrays, else the accelerator holding it.</summary>
    public TensorDevice Device => storage?.Device ?? TensorDevice.Cpu;

    /// <summary>True when the tensor lives on an accelerator (its values are not in <see cref="Data"/>).</summary>
    public bool IsOnDevice => storage is not null;

    /// <summary>The device storage of a tensor on an accelerator (its first <see cref="Size"/> floats).</summary>
    internal DeviceStorage Storage => storage ?? throw new InvalidOperationException($"{this} lives on the host, not on an accelerator.");

    /// <summary>The gradient on the device, allocated (zeroed) on first use; backward kernels accumulate into it.</summary>
    internal DeviceStorage DeviceGrad
    {
        get
        {
            if (deviceGrad is not null) return deviceGrad;
            var device = Storage.Device;
            if (IsParameter)
            {
                deviceGrad = device.AllocateStorage(Math.Max(Size, 1));
                deviceGrad.Clear(Size);
                TensorMemory.AddDevice((long)deviceGrad.Capacity * sizeof(float));
            }
            else deviceGrad = TensorScope.RentDevice(device, Size, clear: true);
            return deviceGrad;
        }
    }

    /// <summary>The device gradient when one has reached this tensor, else null.</summary>
    internal DeviceStorage? DeviceGradOrNull => deviceGrad;

    /// <summary>True when a gradient (host or device) has reached this tensor.</summary>
    internal bool HasGrad => grad is not null || deviceGrad is not null;

    /// <summary>A device tensor of the given shape (contents unspecified) in a buffer of the open scope, or unpooled outside one.</summary>
    internal static Tensor OnDevice(TensorDevice device, int[] shape, bool clear = false)
    {
        var copy = (int[])shape.Clone();
        bool scoped = TensorScope.IsActive;
        var t = new Tensor(copy, TensorScope.RentDevice(device, ShapeSize(copy), clear), isParameter: false);
        if (!scoped) t.lease = new StorageLease(t.storage!.Capacity, onDevice: true); // outside a scope: counted until collected, as on the host
        return t;
    }

    /// <summary>
    /// Moves this leaf (a parameter or an input) to <paramref name="device"/> in place: its values are copied there and the old
    /// storage is dropped, so a model moves once and stays. A gradient it holds is dropped (zero it after moving). Weights held in
    /// bfloat16 are widened to float32 on an accelerator (f32 throughout there). Results of ops cannot move in place: use
    /// <see cref="Ops.ToDevice"/> / <see cref="Ops.ToHost"/>, which are on the tape.
    /// </summary>
    public void MoveTo(TensorDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (Parents is not null || BackwardFn is not null)
            throw new InvalidOperationException($"MoveTo: {this} is the result of an op; use Ops.ToDevice or Ops.ToHost, which are recorded on the tape.");
        if (Device == device) return;
        DropGrad();
        if (device.IsHost)
        {
            var values = ToArray();
            FreeOwnStorage();
            storage = null;
            data = values;
            if (IsParameter || lease is not null)
            {
                lease?.Shrink(lease.Bytes); // a device tensor's lease counted device bytes
                lease = new StorageLease(Size);
            }
            return;
        }
        var target = device.AllocateStorage(Math.Max(Size, 1));
        TensorMemory.AddDevice((long)target.Capacity * sizeof(float));
        if (storage is not null)
        {
            var values = ToArray();
            if (Size > 0) target.Upload(values);
            FreeOwnStorage();
        }
        else
        {
            if (Size > 0) target.Upload(bf16 is null ? Span : Widened().Span);
            lease?.Shrink(lease.Bytes);
            bf16 = null;
        }
        data = [];
        storage = target;
        ownsStorage = true;
    }

    private void DropGrad()
    {
        if (deviceGrad is not null)
        {
            if (IsParameter)
            {
                TensorMemory.AddDevice(-(long)deviceGrad.Capacity * sizeof(float));
                deviceGrad.Dispose();
            }
            deviceGrad = null;
        }
        if (grad is not null && IsParameter) lease?.Shrink((long)Size * sizeof(float));
        grad = null;
    }

    private void FreeOwnStorage()
    {
        if (storage is null || !ownsStorage) return;
        TensorMemory.AddDevice(-(long)storage.Capacity * sizeof(float));
        storage.Dispose();
        ownsStorage = false;
    }

    private Tensor CloneOnDevice()
    {
        var device = storage!.Device;
        var target = device.AllocateStorage(Math.Max(Size, 1));
        if (Size > 0) device.CopyStorage(storage, 0, target, 0, Size);
        return new Tensor(Shape, target, isParameter: false) { Name = Name, lease = new StorageLease(target.Capacity, onDevice: true) };
    }

    private float[] DownloadGrad()
    {
        var values = new float[Size];
        if (Size > 0) deviceGrad!.Download(values);
        return values;
    }

    /// <summary>
    /// In place, off the tape: this ← <paramref name="decay"/>·this + (1 − decay)·<paramref name="current"/> (a moving average of
    /// weights), on whichever device both live.
    /// </summary>
    public void UpdateMovingAverage(Tensor current, float decay)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (current.Size != Size) throw new ArgumentException($"UpdateMovingAverage: {current} has {current.Size} elements, {this} {Size}.");
        if (current.Device != Device) throw new ArgumentException($"UpdateMovingAverage: {this} lives on {Device}, {current} on {current.Device}.");
        if (storage is not null)
        {
            Device.ScaleInPlace(storage, decay, Size);
            Device.Accumulate(current.Storage, storage, Size, 1 - decay);
            return;
        }
        var avg = Span;
        var cur = current.Span;
        for (int i = 0; i < avg.Length; i++) avg[i] = decay * avg[i] + (1 - decay) * cur[i];
    }

    /// <summary>Overwrites the gradient of a tensor on an accelerator with <paramref name="values"/> (for checkpoints and tests).</summary>
    internal void UploadGrad(ReadOnlySpan<float> values) => DeviceGrad.Upload(values);

    [DoesNotReturn]
    private void ThrowOnDevice(string what) =>
        throw new InvalidOperationException($"{what}: {this} lives on {storage!.Device}; copy it to the host first (Ops.ToHost or ToArray).");
}
