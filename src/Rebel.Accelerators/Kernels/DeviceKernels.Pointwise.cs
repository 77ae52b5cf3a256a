// Element-wise maps with constants or a mask, as the engine's Ops.Pow, Ops.Clamp and Ops.Where: xᵖ, min(max(x, lo), hi), and
// mask ≠ 0 ? a : b (the mask a constant, e.g. a padding mask). One index per element; the backward accumulates into the
// gradients (Where's only where its side was picked).
using ILGPU;
using ILGPU.Algorithms;

namespace Rebel.Accelerators.Kernels;

public sealed partial class DeviceKernels
{
    private const int PowKind = 0, ClampKind = 1;

    /// <summary>xᵖ element-wise for a constant exponent.</summary>
    public DeviceBuffer Pow(DeviceBuffer x, float p) => ConstantMap("Pow", x, PowKind, p, 0f);

    /// <summary>Backward of <see cref="Pow"/>: gx += g · p · x^(p − 1).</summary>
    public void PowBackward(DeviceBuffer x, DeviceBuffer g, DeviceBuffer gx, float p) => ConstantMapBackward("PowBackward", x, g, gx, PowKind, p, 0f);

    /// <summary>min(max(x, lo), hi) element-wise.</summary>
    public DeviceBuffer Clamp(DeviceBuffer x, float lo, float hi) => ConstantMap("Clamp", x, ClampKind, lo, hi);

    /// <summary>Backward of <see cref="Clamp"/>: gx += g where lo ≤ x ≤ hi.</summary>
    public void ClampBackward(DeviceBuffer x, DeviceBuffer g, DeviceBuffer gx, float lo, float hi) => ConstantMapBackward("ClampBackward", x, g, gx, ClampKind, lo, hi);

    /// <summary>mask ≠ 0 ? a : b element-wise over equal shapes (the mask is a constant: it gets no gradient).</summary>
    public DeviceBuffer Where(DeviceBuffer mask, DeviceBuffer a, DeviceBuffer b)
    {
        RequireSameShape("Where", "mask", mask, "a", a);
        RequireSameShape("Where", "a", a, "b", b);
        var y = device.Allocate(a.Shape);
        Run(new WhereOp(mask.View, a.View, b.View, y.View), y.Size);
        return y;
    }

    /// <summary>Backward of <see cref="Where"/>: ga += g where mask ≠ 0, gb += g where mask = 0; either gradient may be null.</summary>
    public void WhereBackward(DeviceBuffer mask, DeviceBuffer g, DeviceBuffer? ga, DeviceBuffer? gb)
    {
        RequireSameShape("WhereBackward", "mask", mask, "gradient", g);
        if (ga is not null)
        {
            RequireSameShape("WhereBackward", "mask", mask, "gradient of a", ga);
            Run(new WhereGradOp(mask.View, g.View, ga.View, picked: true), g.Size);
        }
        if (gb is not null)
        {
            RequireSameShape("WhereBackward", "mask", mask, "gradient of b", gb);
            Run(new WhereGradOp(mask.View, g.View, gb.View, picked: false), g.Size);
        }
    }

    private DeviceBuffer ConstantMap(string op, DeviceBuffer x, int kind, float c0, float c1)
    {
        RequireHere(op, x);
        var y = device.Allocate(x.Shape);
        Run(new ConstantMapOp(x.View, y.View, kind, c0, c1), x.Size);
        return y;
    }

    private void ConstantMapBackward(string op, DeviceBuffer x, DeviceBuffer g, DeviceBuffer gx, int kind, float c0, float c1)
    {
        RequireSameShape(op, "input", x, "gradient", g);
        RequireSameShape(op, "input", x, "input gradient", gx);
        Run(new ConstantMapGradOp(x.View, g.View, gx.View, kind, c0, c1), x.Size);
    }

    /// <summary>y = x^c0 (Pow) or min(max(x, c0), c1) (Clamp).</summary>
    internal readonly struct ConstantMapOp(ArrayView<float> x, ArrayView<float> y, int kind, float c0, float c1) : IElementOp
    {
        private readonly ArrayView<float> x = x, y = y;
        private readonly int kind = kind;
        private readonly float c0 = c0, c1 = c1;

        public void Apply(int i) => y[i] = kind == PowKind ? XMath.Pow(x[i], c0) : XMath.Min(XMath.Max(x[i], c0), c1);
    }

    /// <summary>gx += g · c0 · x^(c0 − 1) (Pow) or g where c0 ≤ x ≤ c1 (Clamp).</summary>
    internal readonly struct ConstantMapGradOp(ArrayView<float> x, ArrayView<float> g, ArrayView<float> gx, int kind, float c0, float c1) : IElementOp
    {
        private readonly ArrayView<float> x = x, g = g, gx = gx;
        private readonly int kind = kind;
        private readonly float c0 = c0, c1 = c1;

        public void Apply(int i)
        {
            float v = x[i];
            if (kind == PowKind) gx[i] += g[i] * c0 * XMath.Pow(v, c0 - 1f);
            else if (v >= c0 && v <= c1) gx[i] += g[i];
        }
    }

    /// <summary>y = mask ≠ 0 ? a : b.</summary>
    internal readonly struct WhereOp(ArrayView<float> mask, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y) : IElementOp
    {
        private readonly ArrayView<float> mask = mask, a = a, b = b, y = y;

        public void Apply(int i) => y[i] = mask[i] != 0f ? a[i] : b[i];
    }

    /// <summary>gx += g where the mask picked this side (mask ≠ 0 for a, mask = 0 for b).</summary>
    internal readonly struct WhereGradOp(ArrayView<float> mask, ArrayView<float> g, ArrayView<float> gx, bool picked) : IElementOp
    {
        private readonly ArrayView<float> mask = mask, g = g, gx = gx;
        private readonly int picked = picked ? 1 : 0;

        public void Apply(int i)
        {
            if ((mask[i] != 0f) == (picked != 0)) gx[i] += g[i];
        }
    }
}
