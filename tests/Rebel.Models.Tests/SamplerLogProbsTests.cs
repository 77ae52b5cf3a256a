// Scoring completions with shared prompt prefills (the π_t / π_ref passes) against scoring each whole sequence on its own.
using Rebel.Models.Sampling;
using Rebel.Tensors;

namespace Rebel.Models.Tests;

public class SamplerLogProbsTests
{
    // Σ_t ln softmax(logits / temperature)[y_t] of one whole sequence (prompt + completion) run alone, no cache, no padding.
    private static double FullSequenceLogProb(LanguageModel model, int[] prompt, int[] completion, float temperature)
    {
        int[] ids = [.. prompt, .. completion];
        int v = model.Config.VocabSize;
        var logits = TestModels.Logits(model, ids, 1);
        double sum = 0;
        for (int k = 0; k < completion.Length; k++)
        {
            var row = logits.AsSpan((prompt.Length - 1 + k) * v, v).ToArray().Select(x => (double)x / temperature).ToArray();
            double max = row.Max(), logZ = max + Math.Log(row.Sum(x => Math.Exp(x - max)));
            sum += row[completion[k]] - logZ;
        }
        return sum;
    }

    [Theory]
    [MemberData(nameof(TestModels.Architectures), MemberType = typeof(TestModels))]
    public void SharedPrefill_EqualsEveryWholeSequenceScoredAlone(ModelArchitecture arch)
    {
        var model = TestModels.Create(TestModels.Config(arch) with { EosTokenIds = [] });
        int[] a = [5, 9, 2, 30, 7], b = [4, 0, 36], c = [12, 3];
        // completions of each prompt interleaved, of different lengths, one empty; one prompt repeated as an equal copy
        int[][] prompts = [a, b, a, c, b, [.. a], c];
        int[][] completions = [[1, 2, 3], [7], [3, 3, 3, 3, 8], [], [2, 9], [6, 1], [30, 31, 32, 33]];
        foreach (float temperature in new[] { 1f, 0.7f })
        {
            var scored = Sampler.CompletionLogProbs(model, prompts, completions, temperature);
            for (int i = 0; i < prompts.Length; i++)
            {
                double expected = FullSequenceLogProb(model, prompts[i], completions[i], temperature);
                Assert.True(Math.Abs(expected - scored[i]) < 1e-4 * Math.Max(1, Math.Abs(expected)), $"{arch} T={temperature} pair {i}: {expected} vs {scored[i]}");
            }
            Assert.Equal(0f, scored[3]);
        }
    }

    [Fact]
    public void OneTokenPrompts_AreScoredWholeSequences()
    {
        var model = TestModels.Create(TestModels.Config(ModelArchitecture.Llama) with { EosTokenIds = [] });
        int[][] prompts = [[11], [4, 0, 36], [11]];
        int[][] completions = [[2, 5], [1], [9, 9, 9]];
        var scored = Sampler.CompletionLogProbs(model, prompts, completions);
        for (int i = 0; i < prompts.Length; i++)
            Assert.True(Math.Abs(FullSequenceLogProb(model, prompts[i], completions[i], 1f) - scored[i]) < 1e-4, $"pair {i}");
        Assert.Throws<ArgumentException>(() => Sampler.CompletionLogProbs(model, [[]], [[1]]));
    }
}
