// WeightPanels: inside the scope a few-row Conv1D reads its weight from panels packed once, with the same values as outside;
// nn.Linear weights, many-row products and bf16 weights are not packed; the packed bytes are counted while the scope is open.
using Rebel.Tensors.Kernels;

namespace Rebel.Tensors.Tests;

[Collection(nameof(TensorMemoryTests))] // reads the process-wide TensorMemory counters
public class WeightPanelsTests
{
    [Fact]
    public void Conv1D_inside_the_scope_equals_outside_and_packs_each_weight_once()
    {
        var rng = new Rng(5);
        var w = Tensor.Parameter(Init(rng, 96 * 70), [96, 70]); // Conv1D (In, Out)
        var b = Tensor.Parameter(Init(rng, 70), [70]);
        var x = Tensor.FromArray(Init(rng, 4 * 96), [4, 96]);
        var outside = Ops.Conv1D(x, w, b).ToArray();
        long before = TensorMemory.LiveBytes;
        using (var scope = WeightPanels.Begin())
        {
            var first = Ops.Conv1D(x, w, b).ToArray();
            var second = Ops.Conv1D(x, w, b).ToArray();
            if (Gemm.ActivePath == GemmPath.Avx512)
            {
                Assert.Equal(1, scope.Count);
                Assert.Equal(3L * 96 * 32 * sizeof(float), scope.Bytes); // ⌈70/32⌉ panels of 96 × 32
                Assert.True(TensorMemory.LiveBytes - before >= scope.Bytes, "packed bytes are counted while the scope is open");
            }
            else Assert.Equal(0, scope.Count);
            Assert.Equal(outside, first);
            Assert.Equal(outside, second);
        }
        Assert.Equal(outside, Ops.Conv1D(x, w, b).ToArray());
    }

    [Fact]
    public void Linear_is_packed_transposed_and_many_rows_and_bf16_weights_are_not()
    {
        var rng = new Rng(6);
        var linear = Tensor.Parameter(Init(rng, 40 * 64), [40, 64]); // Linear (Out, In)
        var conv = Tensor.Parameter(Init(rng, 64 * 40), [64, 40]);
        var frozen = Tensor.Parameter(Init(rng, 64 * 40), [64, 40]);
        frozen.FreezeToBf16();
        var x = Tensor.FromArray(Init(rng, 8 * 64), [8, 64]);
        var outside = Ops.Linear(x, linear).ToArray();
        using var scope = WeightPanels.Begin();
        var inside = Ops.Linear(x, linear).ToArray();
        for (int i = 0; i < outside.Length; i++) Assert.True(Math.Abs(outside[i] - inside[i]) < 1e-5f, $"element {i}: {outside[i]} vs {inside[i]}");
        Ops.Conv1D(Tensor.FromArray(Init(rng, 33 * 64), [33, 64]), conv); // 33 rows: above the few-row limit
        Ops.Conv1D(Tensor.FromArray(Init(rng, 2 * 64), [2, 64]), frozen);
        Ops.Linear(Tensor.FromArray(Init(rng, 7 * 64), [7, 64]), Tensor.Parameter(Init(rng, 40 * 64), [40, 64])); // under 8 rows: bound by reading W
        Assert.Equal(Gemm.ActivePath == GemmPath.Avx512 ? 1 : 0, scope.Count);
    }

    [Fact]
    public void Inside_a_tensor_scope_the_panels_are_rented_from_its_pool_and_reused()
    {
        var rng = new Rng(7);
        var w = Tensor.Parameter(Init(rng, 64 * 96), [64, 96]);
        var x = Tensor.FromArray(Init(rng, 2 * 64), [2, 64]);
        float[]? first = null;
        for (int call = 0; call < 2; call++)
        {
            using var generation = new TensorScope();
            using var panels = WeightPanels.Begin();
            Ops.Conv1D(x, w);
            if (Gemm.ActivePath != GemmPath.Avx512) return;
            var mine = panels.Buffers.Single();
            if (first is null) first = mine;
            else Assert.Same(first, mine); // the second call packs into the first call's buffer
        }
    }

    [Fact]
    public void Scopes_close_in_reverse_order()
    {
        var outer = WeightPanels.Begin();
        var inner = WeightPanels.Begin();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        outer.Dispose();
    }

    private static float[] Init(Rng rng, int n)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }
}
