// Properties every architecture must have: cached decoding equals a full pass, a left-padded row equals the row
// alone, gradients reach every parameter.
using Rebel.Tensors;

namespace Rebel.Models.Tests;

public class ModelConsistencyTests
{
    private static readonly int[] Seq = [3, 17, 8, 8, 25, 1, 30, 12, 6];

    [Theory]
    [MemberData(nameof(TestModels.Architectures), MemberType = typeof(TestModels))]
    public void CachedDecoding_EqualsFullForward(ModelArchitecture arch)
    {
        var model = TestModels.Create(arch);
        int v = model.Config.VocabSize;
        var full = TestModels.Logits(model, Seq, 1); // (1, T, V)
        var cache = model.CreateCache(1, Seq.Length);
        using var noGrad = Autograd.NoGrad();
        var first = model.Forward(Seq.AsSpan(0, 4), 1, 4, null, cache).ToArray();
        AssertClose(full.AsSpan(0, 4 * v), first);
        for (int t = 4; t < Seq.Length; t++)
            AssertClose(full.AsSpan(t * v, v), model.Forward(Seq.AsSpan(t, 1), 1, 1, null, cache).ToArray());
    }

    [Theory]
    [MemberData(nameof(TestModels.Architectures), MemberType = typeof(TestModels))]
    public void LeftPaddedRow_EqualsRowAlone(ModelArchitecture arch)
    {
        var model = TestModels.Create(arch);
        int v = model.Config.VocabSize, pad = 3, t = Seq.Length;
        var alone = TestModels.Logits(model, Seq[pad..], 1);
        var batch = new int[2 * t];
        Seq.CopyTo(batch, 0);
        Seq.CopyTo(batch, t);
        batch.AsSpan(t, pad).Fill(0);
        var both = TestModels.Logits(model, batch, 2, [0, pad]);
        AssertClose(alone, both.AsSpan((t + pad) * v, (t - pad) * v));
    }

    [Theory]
    [MemberData(nameof(TestModels.Architectures), MemberType = typeof(TestModels))]
    public void Backward_ReachesEveryParameter(ModelArchitecture arch)
    {
        var model = TestModels.Create(arch);
        using var scope = new TensorScope();
        var logits = model.Forward(Seq.AsSpan(0, 8), 2, 4);
        Ops.CrossEntropy(logits, [1, 2, 3, 4, 5, 6, 7, 8]).Backward();
        foreach (var (name, p) in model.NamedParameters)
            Assert.True(p.Grad is not null && p.Grad.Any(g => g != 0), $"no gradient reached {name}");
    }

    [Fact]
    public void NeoXSequentialResidual_DiffersFromParallel()
    {
        var parallel = TestModels.Create(ModelArchitecture.GptNeoX);
        var sequential = ModelFactory.Create(parallel.Config with { ParallelResidual = false });
        sequential.CopyWeightsFrom(parallel);
        Assert.NotEqual(TestModels.Logits(parallel, Seq, 1), TestModels.Logits(sequential, Seq, 1));
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-4f * MathF.Max(1f, MathF.Abs(expected[i])), $"element {i}: {expected[i]} vs {actual[i]}");
    }
}
