// Inverted dropout with a mask drawn on the host: the same Rng draws as the engine's Ops.Dropout (one NextFloat per element, in
// order), so a device run equals the managed run bit for bit and leaves the generator in the same state. The mask (0 or 1/(1 − p))
// is uploaded once and kept for the backward; the product is the element-wise kernel's.
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

public sealed partial class DeviceKernels
{
    /// <summary>
    /// Dropout's mask for a tensor of <paramref name="shape"/>: 0 with probability p, else 1/(1 − p), drawn from
    /// <paramref name="rng"/> exactly as <see cref="Ops.Dropout"/> draws (none when p = 0: the mask is then all ones).
    /// </summary>
    public DeviceBuffer DropoutMask(int[] shape, float p, Rng rng)
    {
        if (p < 0 || p >= 1) throw new ArgumentException($"Dropout: probability {p} must be in [0, 1).");
        var mask = new float[Tensor.ShapeSize(shape)];
        if (p == 0) Array.Fill(mask, 1f);
        else
        {
            float scale = 1f / (1f - p);
            for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextFloat() < p ? 0f : scale;
        }
        return device.Upload(mask, shape);
    }

    /// <summary>Dropout of x with a mask from <see cref="DropoutMask"/>: y = x ⊙ mask.</summary>
    public DeviceBuffer Dropout(DeviceBuffer x, DeviceBuffer mask)
    {
        RequireSameShape("Dropout", "input", x, "mask", mask);
        return Binary(BinaryKind.Mul, x, mask);
    }

    /// <summary>Backward of <see cref="Dropout"/>: gx += g ⊙ mask.</summary>
    public void DropoutBackward(DeviceBuffer mask, DeviceBuffer g, DeviceBuffer gx)
    {
        RequireSameShape("DropoutBackward", "mask", mask, "gradient", g);
        RequireSameShape("DropoutBackward", "mask", mask, "input gradient", gx);
        Run(new BinaryGradAOp(g.View, mask.View, gx.View, Math.Max(mask.Size, 1), (int)BinaryKind.Mul), g.Size);
    }
}
