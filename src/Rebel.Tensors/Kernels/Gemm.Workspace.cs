// Per-thread packing buffers: pinned, 64-byte aligned, grown on demand and reused, so steady-state calls allocate nothing.
namespace Rebel.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>A pinned float buffer whose start is aligned to a cache line.</summary>
    private sealed class Workspace
    {
        private float[] _array = [];
        private float* _aligned;

        /// <summary>A 64-byte aligned pointer to at least <paramref name="count"/> floats; contents are undefined.</summary>
        public float* Get(long count)
        {
            if (_array.Length < count + 16)
            {
                _array = GC.AllocateUninitializedArray<float>(checked((int)(count + 16)), pinned: true);
                fixed (float* p = _array) _aligned = (float*)(((nint)p + 63) & ~(nint)63);
            }
            return _aligned;
        }
    }

    [ThreadStatic] private static Workspace? t_packA;
    [ThreadStatic] private static Workspace? t_packB;

    private static Workspace PackABuffer => t_packA ??= new Workspace();
    private static Workspace PackBBuffer => t_packB ??= new Workspace();
}
