// Live tensor bytes: parameters, their gradients and optimizer state raise the count by their exact size, scope buffers
// count while the scope is open and leave it when it ends (pooled, not live), and collected parameters leave it too.
using System.Runtime.CompilerServices;
using Rebel.Tensors;
using Rebel.Tensors.Optim;

namespace Rebel.Tensors.Tests;

[CollectionDefinition(nameof(TensorMemoryTests), DisableParallelization = true)]
public sealed class TensorMemoryCollection;

[Collection(nameof(TensorMemoryTests))] // the counters are process-wide: no other test may allocate meanwhile
public class TensorMemoryTests
{
    private static long Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return TensorMemory.LiveBytes;
    }

    [Fact]
    public void ParameterGradientAndAdamStateCountTheirBytes()
    {
        long before = Settled();
        var w = Tensor.Parameter([3, 5]);
        Assert.Equal(before + 15 * 4, TensorMemory.LiveBytes);
        using (new TensorScope()) Ops.Sum(Ops.Mul(w, w)).Backward();
        Assert.Equal(before + 2 * 15 * 4, TensorMemory.LiveBytes); // the gradient persists, the scope's buffers do not
        var adam = new AdamW([w]);
        Assert.Equal(before + 4 * 15 * 4, TensorMemory.LiveBytes); // m and v
        GC.KeepAlive(adam);
    }

    [Fact]
    public void ScopeBuffersCountUntilTheScopeEnds()
    {
        long before = Settled();
        TensorMemory.ResetPeak();
        int length = 1000, held = TensorScope.SizeClass(length);
        using (new TensorScope())
        {
            var x = Tensor.Zeros(length);
            Assert.Equal(before + held * 4L, TensorMemory.LiveBytes);
            GC.KeepAlive(x);
        }
        Assert.Equal(before, TensorMemory.LiveBytes);
        Assert.Equal(before + held * 4L, TensorMemory.PeakBytes);
        using (new TensorScope())
        {
            Tensor.Zeros(length); // the pooled buffer again: counted again while in use
            Assert.Equal(before + held * 4L, TensorMemory.LiveBytes);
        }
    }

    [Fact]
    public void CollectedParametersLeaveTheCount()
    {
        long before = Settled();
        MakeParameter(1000);
        Assert.Equal(before + 1000 * 4, TensorMemory.LiveBytes);
        Assert.Equal(before, Settled());
    }

    [Fact]
    public void NoGradLayersKeepOnlyTheirOutput()
    {
        var w = GradCheck.Param(1, 1f, 16, 16);
        static Tensor Deep(Tensor x, Tensor w) => Ops.Tanh(Ops.Linear(Ops.Tanh(Ops.Linear(x, w)), w)); // four (4, 16) intermediates
        long before = Settled();
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        var x = Tensor.Full(0.5f, 4, 16);
        long withX = TensorMemory.LiveBytes;
        var y = TensorScope.Layer(x, x => Deep(x, w));
        Assert.Equal(withX - before, TensorMemory.LiveBytes - withX); // the output alone stays, as large as x
        Assert.True(TensorScope.PooledFloats >= 3 * 64, "the three other intermediates wait in the pool for the next layer");
        Assert.Equal(Deep(x, w).ToArray(), y.ToArray());
    }

    [Fact]
    public void WithGradientLayersKeepTheirIntermediatesForBackward()
    {
        var w = GradCheck.Param(1, 1f, 16, 16);
        using var scope = new TensorScope();
        var x = Tensor.Full(0.5f, 4, 16);
        long withX = TensorMemory.LiveBytes;
        var y = TensorScope.Layer(x, x => Ops.Tanh(Ops.Linear(x, w)));
        Assert.Equal(2 * 64 * 4, TensorMemory.LiveBytes - withX);
        Ops.Sum(y).Backward();
        Assert.NotNull(w.Grad);
    }

    [Fact]
    public void BackwardHandsEachResultsGradientBackOnceUsed()
    {
        const int n = 64, depth = 10;
        var w = Tensor.Parameter([n]);
        long before = Settled();
        TensorMemory.ResetPeak();
        using (new TensorScope())
        {
            var x = w;
            for (int i = 0; i < depth; i++) x = Ops.Tanh(x);
            Ops.Sum(x).Backward();
        }
        long activations = 4L * (depth * n + 1), parameterGradient = 4L * n;
        // Kept each result's gradient, the peak would add depth·n floats; released, at most two (n) gradients are in flight.
        Assert.InRange(TensorMemory.PeakBytes - before, activations + parameterGradient, activations + parameterGradient + 4L * (2 * n + 1));
        Assert.NotNull(w.Grad);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeParameter(int size) => Tensor.Parameter([size]);
}
