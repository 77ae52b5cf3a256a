// Pooled buffers: arrays come back on the next identical step, scopes nest, and a steady training step allocates
// no new float arrays.
using Rebel.Tensors;
using Rebel.Tensors.Optim;

namespace Rebel.Tensors.Tests;

public class TensorScopeTests
{
    private static HashSet<float[]> OneStep(Tensor w)
    {
        using var scope = new TensorScope();
        var x = Tensor.Full(0.5f, 4, 3);
        var z = Ops.Linear(x, w);
        var h = Ops.Tanh(z);
        var sq = Ops.Mul(h, h);
        var sum = Ops.Sum(sq);
        var loss = Ops.Mul(sum, 0.25f);
        loss.Backward();
        // Every data buffer of the step: equal-length buffers may swap owners between steps, the set may not change. Gradients of
        // op results went back to the pool during Backward (as in PyTorch, only leaves keep one).
        Tensor[] made = [x, z, h, sq, sum, loss];
        Assert.All(made, t => Assert.Null(t.Grad));
        return new HashSet<float[]>(made.Select(t => t.Data), ReferenceEqualityComparer.Instance);
    }

    [Fact]
    public void NextIdenticalStepGetsTheSameArrays()
    {
        TensorScope.TrimPool();
        var w = GradCheck.Param(1, 1f, 5, 3);
        var first = OneStep(w);
        var second = OneStep(w);
        Assert.Equal(6, first.Count);
        Assert.True(first.SetEquals(second));
        Assert.True(w.Grad is not null && !first.Contains(w.Grad)); // parameter gradients are never pooled
    }

    [Fact]
    public void OutsideAScopeArraysAreFresh()
    {
        Assert.False(TensorScope.IsActive);
        Assert.NotSame(Tensor.Zeros(7).Data, Tensor.Zeros(7).Data);
    }

    [Fact]
    public void ScopesNest()
    {
        TensorScope.TrimPool();
        using var outer = new TensorScope();
        var a = Tensor.Full(1f, 9);
        float[] innerArray;
        using (new TensorScope())
        {
            var b = Tensor.Full(2f, 9);
            innerArray = b.Data;
            Assert.NotSame(a.Data, b.Data);
        }
        Assert.True(TensorScope.IsActive);
        var c = Tensor.Zeros(9);
        Assert.Same(innerArray, c.Data); // the inner scope's buffer, reclaimed, cleared and reused
        Assert.All(c.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(a.ToArray(), v => Assert.Equal(1f, v)); // the outer scope's tensor is untouched
    }

    [Fact]
    public void DisposingOutOfOrderThrows()
    {
        var outer = new TensorScope();
        var inner = new TensorScope();
        Assert.Throws<InvalidOperationException>(outer.Dispose);
        Assert.True(TensorScope.IsActive);
        inner.Dispose();
        outer.Dispose(); // the failed attempt must not have marked it disposed
        Assert.False(TensorScope.IsActive);
    }

    [Fact]
    public void SteadyTrainingStepAllocatesNoFloatArrays()
    {
        const int rows = 32, inF = 64, hidden = 128, outF = 16;
        var x = GradCheck.Param(2, 1f, rows, inF).Detach();
        var w1 = GradCheck.Param(3, 0.1f, hidden, inF);
        var b1 = GradCheck.Param(4, 0.1f, hidden);
        var g = Tensor.Parameter(Enumerable.Repeat(1f, hidden).ToArray(), [hidden]);
        var w2 = GradCheck.Param(5, 0.1f, outF, hidden);
        var targets = Enumerable.Range(0, rows).Select(i => i % outF).ToArray();
        var opt = new AdamW([w1, b1, g, w2], learningRate: 1e-3f);
        float Step()
        {
            using var scope = new TensorScope();
            var h = Ops.RmsNorm(Ops.Gelu(Ops.Linear(x, w1, b1)), g, 1e-6f); // (rows, hidden)
            var loss = Ops.CrossEntropy(Ops.Linear(h, w2), targets);
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
            return loss.Item();
        }
        TensorScope.TrimPool();
        long before = GC.GetAllocatedBytesForCurrentThread();
        float first = Step();
        long firstStep = GC.GetAllocatedBytesForCurrentThread() - before;
        Step();
        before = GC.GetAllocatedBytesForCurrentThread();
        const int steps = 4;
        float last = 0;
        for (int i = 0; i < steps; i++) last = Step();
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / steps;
        Assert.True(last < first, $"loss did not fall: {first} → {last}");
        // One step's tensors: three (rows, hidden) activations with their gradients, plus logits and their gradient.
        long tensorBytes = 4L * (2 * 3 * rows * hidden + 2 * rows * outF);
        Assert.True(firstStep > tensorBytes, $"first step allocated {firstStep} bytes, expected more than the {tensorBytes} bytes of its tensors");
        // What remains per step is bookkeeping (tensor objects, closures, shapes): measured ≈ 6 KB against ≈ 100 KB of buffers.
        Assert.True(perStep < tensorBytes / 8, $"steady step allocated {perStep} bytes (tensor buffers are {tensorBytes} bytes)");
    }
}
