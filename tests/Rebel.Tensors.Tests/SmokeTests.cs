using Rebel.Tensors;

namespace Rebel.Tensors.Tests;

public class SmokeTests
{
    [Fact]
    public void LinearGeluLayerNormGradients()
    {
        var x = GradCheck.Param(1, 1f, 3, 5);
        var w = GradCheck.Param(2, 0.5f, 4, 5);
        var b = GradCheck.Param(3, 0.5f, 4);
        var lw = GradCheck.Param(4, 1f, 4);
        var lb = GradCheck.Param(5, 1f, 4);
        GradCheck.Check("linear+gelu+layernorm", t => Ops.LayerNorm(Ops.Gelu(Ops.Linear(t[0], t[1], t[2])), t[3], t[4], 1e-5f), [x, w, b, lw, lb]);
    }

    [Fact]
    public void AttentionWithGroupedHeadsGradients()
    {
        var q = GradCheck.Param(1, 1f, 2, 5, 4 * 3);
        var k = GradCheck.Param(2, 1f, 2, 5, 2 * 3);
        var v = GradCheck.Param(3, 1f, 2, 5, 2 * 3);
        GradCheck.Check("attention", t => Ops.Attention(t[0], t[1], t[2], 4, 2, keyStart: [0, 2]), [q, k, v]);
    }
}
