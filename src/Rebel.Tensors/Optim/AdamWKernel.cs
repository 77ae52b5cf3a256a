// The AdamW update of one parameter tensor, span-in/span-out: Vector512 / Vector256 paths and the scalar reference,
// each computing exactly the same float operations in the same order (no fused multiply-add), so all paths agree bit for bit.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rebel.Tensors.Optim;

/// <summary>Constants of one AdamW step: β₁, β₂, ε, the bias corrections 1−βᵗ, the learning rate and the decay factor 1 − lr·λ.</summary>
public readonly record struct AdamWStep(float Beta1, float Beta2, float Epsilon, float Correction1, float Correction2, float LearningRate, float Decay);

/// <summary>m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ·(1 − lr·λ) − lr·(m/c₁)/(√(v/c₂) + ε), element-wise.</summary>
internal static class AdamWKernel
{
    /// <summary>Updates θ, m and v in place from g using vectors of at most <paramref name="maxBits"/> bits (tests cover each path).</summary>
    public static void Update(Span<float> theta, ReadOnlySpan<float> g, Span<float> m, Span<float> v, in AdamWStep s, int maxBits = 512)
    {
        if (g.Length != theta.Length || m.Length != theta.Length || v.Length != theta.Length)
            throw new ArgumentException("AdamWKernel: parameter, gradient and moment buffers differ in length.");
        ref float tr = ref MemoryMarshal.GetReference(theta);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float vr = ref MemoryMarshal.GetReference(v);
        int i = 0, n = theta.Length;
        if (maxBits >= 512 && Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var gk = Vector512.LoadUnsafe(ref gr, (nuint)i);
                var mk = Vector512.Create(s.Beta1) * Vector512.LoadUnsafe(ref mr, (nuint)i) + Vector512.Create(1f - s.Beta1) * gk;
                var vk = Vector512.Create(s.Beta2) * Vector512.LoadUnsafe(ref vr, (nuint)i) + Vector512.Create(1f - s.Beta2) * gk * gk;
                mk.StoreUnsafe(ref mr, (nuint)i);
                vk.StoreUnsafe(ref vr, (nuint)i);
                var step = Vector512.Create(s.LearningRate) * (mk / Vector512.Create(s.Correction1))
                    / (Vector512.Sqrt(vk / Vector512.Create(s.Correction2)) + Vector512.Create(s.Epsilon));
                (Vector512.LoadUnsafe(ref tr, (nuint)i) * Vector512.Create(s.Decay) - step).StoreUnsafe(ref tr, (nuint)i);
            }
        }
        else if (maxBits >= 256 && Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                var gk = Vector256.LoadUnsafe(ref gr, (nuint)i);
                var mk = Vector256.Create(s.Beta1) * Vector256.LoadUnsafe(ref mr, (nuint)i) + Vector256.Create(1f - s.Beta1) * gk;
                var vk = Vector256.Create(s.Beta2) * Vector256.LoadUnsafe(ref vr, (nuint)i) + Vector256.Create(1f - s.Beta2) * gk * gk;
                mk.StoreUnsafe(ref mr, (nuint)i);
                vk.StoreUnsafe(ref vr, (nuint)i);
                var step = Vector256.Create(s.LearningRate) * (mk / Vector256.Create(s.Correction1))
                    / (Vector256.Sqrt(vk / Vector256.Create(s.Correction2)) + Vector256.Create(s.Epsilon));
                (Vector256.LoadUnsafe(ref tr, (nuint)i) * Vector256.Create(s.Decay) - step).StoreUnsafe(ref tr, (nuint)i);
            }
        }
        for (; i < n; i++) theta[i] = UpdateScalar(theta[i], g[i], ref m[i], ref v[i], s);
    }

    /// <summary>Scalar reference: one element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float UpdateScalar(float theta, float g, ref float m, ref float v, in AdamWStep s)
    {
        float mk = m = s.Beta1 * m + (1f - s.Beta1) * g;
        float vk = v = s.Beta2 * v + (1f - s.Beta2) * g * g;
        return theta * s.Decay - s.LearningRate * (mk / s.Correction1) / (MathF.Sqrt(vk / s.Correction2) + s.Epsilon);
    }
}
