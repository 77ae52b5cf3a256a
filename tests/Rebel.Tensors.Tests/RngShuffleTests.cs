// Rng.Shuffle and Rng.Permutation: every item kept once, the Fisher–Yates draws from the last item down (the order the trainers'
// data orders and checkpoints depend on), and Permutation equal to shuffling 0 … n − 1.
namespace Rebel.Tensors.Tests;

public class RngShuffleTests
{
    [Fact]
    public void ShuffleKeepsEveryItemAndDrawsFromTheLastDown()
    {
        var items = Enumerable.Range(0, 50).ToArray();
        new Rng(7).Shuffle<int>(items);
        Assert.Equal(Enumerable.Range(0, 50), items.Order());
        var expected = Enumerable.Range(0, 50).ToArray();
        var rng = new Rng(7);
        for (int i = expected.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (expected[i], expected[j]) = (expected[j], expected[i]);
        }
        Assert.Equal(expected, items);
        Assert.NotEqual(Enumerable.Range(0, 50), items);
    }

    [Fact]
    public void PermutationIsTheShuffledIdentity()
    {
        var shuffled = Enumerable.Range(0, 33).ToArray();
        new Rng(3).Shuffle<int>(shuffled);
        Assert.Equal(shuffled, new Rng(3).Permutation(33));
        Assert.Empty(new Rng(3).Permutation(0));
    }
}
