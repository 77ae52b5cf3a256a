// The data-parallel half of an optimizer step: gradients averaged over ranks in one flat buffer (with a flag per parameter
// saying whether any rank reached it), the one-process job's identity collectives, and the even split of a global batch.
using Rebel.Tensors.Distributed;
using Rebel.Tensors.Optim;

namespace Rebel.Tensors.Tests;

public class DataParallelStepTests
{
    /// <summary>Rank 0 of a job of two whose other rank contributes <see cref="Peer"/> to every float all-reduce.</summary>
    private sealed class TwoRanks(float[] peer) : ICollectives
    {
        public float[] Peer => peer;

        public int Rank => 0;

        public int Size => 2;

        public void AllReduceSum(Span<float> buffer)
        {
            Assert.Equal(peer.Length, buffer.Length);
            for (int i = 0; i < buffer.Length; i++) buffer[i] += peer[i];
        }

        public void AllReduceSum(Span<double> buffer) => throw new NotSupportedException();

        public void Broadcast(Span<byte> buffer, int root) => throw new NotSupportedException();

        public void AllGather(ReadOnlySpan<byte> local, Span<byte> all) => throw new NotSupportedException();

        public void Barrier() { }

        public void Abort(int exitCode) => throw new NotSupportedException();
    }

    [Fact]
    public void GradientsAreAveragedAndParametersOnlyThePeerReachedGetOne()
    {
        var a = Tensor.Parameter([1f, 2f, 3f], [3]);
        var b = Tensor.Parameter([4f, 5f], [2]);
        var c = Tensor.Parameter([6f], [1]);
        var optimizer = new Sgd([a, b, c], learningRate: 0.1f, momentum: 0f);
        Ops.Sum(Ops.Mul(a, Tensor.FromArray([0.5f, -1f, 2f], 3))).Backward(); // this rank reaches a only
        // Flat layout: a (3), b (2), c (1), then one flag per parameter. The peer reached a and b.
        var job = new TwoRanks([1.5f, 1f, -4f, 0.25f, -0.5f, 0f, 1f, 1f, 0f]);
        optimizer.AverageGradients(job);
        Assert.Equal([1f, 0f, -1f], a.Grad![..3]);
        Assert.Equal([0.125f, -0.25f], b.Grad![..2]);
        Assert.Null(c.Grad);
    }

    [Fact]
    public void OneProcessLeavesGradientsAlone()
    {
        var a = Tensor.Parameter([1f, 2f], [2]);
        var optimizer = new Sgd([a], learningRate: 0.1f, momentum: 0f);
        Ops.Sum(Ops.Mul(a, Tensor.FromArray([3f, -7f], 2))).Backward();
        optimizer.AverageGradients(new SingleProcess());
        Assert.Equal([3f, -7f], a.Grad![..2]);
        Assert.Equal(0, optimizer.AllReduceSeconds);
    }

    [Fact]
    public void ShareSplitsAGlobalBatchEvenly()
    {
        var (items, first) = new TwoRanks([]).Share([10, 11, 12, 13], "batch");
        Assert.Equal([10, 11], items);
        Assert.Equal(0, first);
        var error = Assert.Throws<ArgumentException>(() => new TwoRanks([]).Share([1, 2, 3], "prompts per iteration"));
        Assert.Contains("prompts per iteration: 3 does not split evenly over 2 processes", error.Message, StringComparison.Ordinal);
        var whole = new SingleProcess().Share([1, 2, 3], "x");
        Assert.Equal([1, 2, 3], whole.Items);
        Assert.Equal(0, whole.First);
    }

    [Fact]
    public void ParameterHashSeesOneBitFlip()
    {
        var a = Tensor.Parameter([1f, 2f, 3f], [3]);
        var optimizer = new Sgd([a]);
        ulong before = optimizer.ParameterHash();
        a.Span[1] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(2f) ^ 1);
        Assert.NotEqual(before, optimizer.ParameterHash());
    }
}
