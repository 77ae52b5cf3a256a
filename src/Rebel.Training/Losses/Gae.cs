// Generalised advantage estimation (Schulman et al. 2016) on one token trajectory, with the RLHF reward layout:
// a per-token KL penalty −β·(ln π_old − ln π_ref) at every token and the sequence score added at the last token.
namespace Rebel.Training.Losses;

/// <summary>The per-token estimate of KL(π_old‖π_ref) in PPO's reward (TRL PPOConfig kl_estimator), with d = ln π_ref − ln π_old.</summary>
public enum KlEstimator
{
    /// <summary>k1 = −d: unbiased, can be negative per token (TRL's default).</summary>
    K1,
    /// <summary>k3 = (e^d − 1) − d: unbiased, never negative, lower variance (Schulman 2020).</summary>
    K3,
}

/// <summary>Per-token rewards and GAE advantages/returns for one response.</summary>
public static class Gae
{
    /// <summary>r_t = −β·KL_t + [t = T−1]·score for the T response tokens, KL_t per <paramref name="estimator"/> (k1: ln π_old(y_t) − ln π_ref(y_t)).</summary>
    public static void TokenRewards(float score, ReadOnlySpan<float> oldLogProbs, ReadOnlySpan<float> refLogProbs, float beta, Span<float> rewards,
        KlEstimator estimator = KlEstimator.K1)
    {
        int n = rewards.Length;
        if (oldLogProbs.Length != n || refLogProbs.Length != n) throw new ArgumentException("Gae: token counts differ.");
        for (int t = 0; t < n; t++)
        {
            float d = refLogProbs[t] - oldLogProbs[t];
            rewards[t] = -beta * (estimator == KlEstimator.K3 ? MathF.Exp(d) - 1 - d : -d);
        }
        if (n > 0) rewards[n - 1] += score;
    }

    /// <summary>
    /// δ_t = r_t + γ·V_{t+1} − V_t (V_T = 0), A_t = δ_t + γλ·A_{t+1} (A_T = 0), R_t = A_t + V_t, over one trajectory of T tokens.
    /// </summary>
    public static void Compute(ReadOnlySpan<float> rewards, ReadOnlySpan<float> values, float gamma, float lambda, Span<float> advantages, Span<float> returns)
    {
        int n = rewards.Length;
        if (values.Length != n || advantages.Length != n || returns.Length != n) throw new ArgumentException("Gae: lengths differ.");
        float next = 0, nextValue = 0;
        for (int t = n - 1; t >= 0; t--)
        {
            float delta = rewards[t] + gamma * nextValue - values[t];
            next = delta + gamma * lambda * next;
            advantages[t] = next;
            returns[t] = next + values[t];
            nextValue = values[t];
        }
    }
}
