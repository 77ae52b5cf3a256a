// DDIM (Song et al. 2021) with the stochastic setting η: a K-step policy over denoising trajectories. Each step draws
// x_{prev} ~ N(μ_θ(x_t, t, c), σ_t² I) and records the step's Gaussian log-density averaged over the image's dimensions
// (as DDPO and the REBEL authors do); a trajectory's log-prob is the sum over steps. The last step lands on the clean
// image (ᾱ = 1, diffusers' set_alpha_to_one), where DDIM's σ is 0: it is deterministic and carries no density, so K steps
// give K − 1 log-densities. The same tensor code computes μ while sampling and, with gradients, when a trainer replays
// recorded trajectories.
using Rebel.Tensors;

namespace Rebel.Models.Diffusion;

/// <summary>Settings of <see cref="DdimSampler"/>.</summary>
public sealed record DdimOptions
{
    /// <summary>
    /// K ≥ 2, denoising steps (timesteps T−1, T−1−T/K, …, spaced by T/K; the last one to the clean image is deterministic).
    /// Default 10, as few as RL on two cores affords.
    /// </summary>
    public int Steps { get; init; } = 10;

    /// <summary>η: 0 is deterministic DDIM, 1 gives DDPM-like posterior noise. Must be positive for log-densities. Default 1 (DDPO uses 1).</summary>
    public float Eta { get; init; } = 1f;

    /// <summary>Clip the predicted clean image to [−1, 1] before stepping (diffusers' clip_sample). Default true.</summary>
    public bool ClipSample { get; init; } = true;
}

/// <summary>One sampled trajectory: the condition, the K + 1 states x_{τ₀} (noise) … x_{τ_K} (the image) and each stochastic step's log-density.</summary>
/// <param name="Condition">Condition ids (A).</param>
/// <param name="States">K + 1 states, each (Channels·S·S) in (channel, row, column) order.</param>
/// <param name="StepLogProbs">(K − 1) mean over dimensions of ln N(x_{k+1}; μ_θ(x_k), σ_k²) for the stochastic steps k &lt; K − 1.</param>
public sealed record DdimTrajectory(int[] Condition, float[][] States, float[] StepLogProbs)
{
    /// <summary>The final sample (Channels·S·S), roughly in [−1, 1].</summary>
    public float[] Image => States[^1];

    /// <summary>ln π(trajectory): the sum of the step log-densities.</summary>
    public float LogProb => StepLogProbs.Sum();

    /// <summary>
    /// The K means μ_θ(x_k) (each Channels·S·S) the sampler's model gave while sampling, or null; they equal
    /// <see cref="DdimSampler.StepMeans"/> of this trajectory for as long as the model is unchanged.
    /// </summary>
    public float[][]? Means { get; init; }
}

/// <summary>Samples trajectories from a denoiser (<see cref="IDenoiser"/>) and replays their log-probs with gradients.</summary>
public sealed class DdimSampler
{
    private readonly NoiseSchedule schedule;
    private readonly StepCoefficients[] steps;

    /// <summary>The coefficients of step k: μ = MeanScale·clip(x_t/√ᾱ_t − NoiseToClean·ε) + NoiseScale·ε, and the noise σ.</summary>
    public readonly record struct StepCoefficients(int Timestep, int Previous, float InverseSqrtAlphaBar, float NoiseToClean, float MeanScale, float NoiseScale, float Sigma);

    /// <summary>The model being sampled (the policy).</summary>
    public IDenoiser Model { get; }

    /// <summary>Settings.</summary>
    public DdimOptions Options { get; }

    /// <summary>Per-step coefficients, first step first.</summary>
    public IReadOnlyList<StepCoefficients> Steps => steps;

    /// <summary>Prepares K steps of DDIM on <paramref name="model"/>'s noise schedule.</summary>
    public DdimSampler(IDenoiser model, DdimOptions options)
    {
        int t = model.Config.TrainTimesteps;
        if (options.Steps < 2 || options.Steps > t) throw new ArgumentException($"DdimSampler: {options.Steps} steps; need 2..{t}.");
        if (!(options.Eta > 0)) throw new ArgumentException($"DdimSampler: η = {options.Eta}; a policy needs η > 0 for step log-densities.");
        Model = model;
        Options = options;
        schedule = new NoiseSchedule(t);
        var timesteps = Enumerable.Range(0, options.Steps).Select(k => t - 1 - (int)((long)k * t / options.Steps)).ToArray();
        steps = new StepCoefficients[options.Steps];
        for (int k = 0; k < steps.Length; k++)
            steps[k] = Coefficients(schedule, timesteps[k], k + 1 < timesteps.Length ? timesteps[k + 1] : -1, options.Eta);
    }

    /// <summary>K − 1: the steps that draw noise and carry a log-density (all but the last).</summary>
    public int StochasticSteps => steps.Length - 1;

    /// <summary>
    /// DDIM step from t to s: σ = η·√((1 − ᾱ_s)/(1 − ᾱ_t))·√(1 − ᾱ_t/ᾱ_s), x̂₀ = (x_t − √(1 − ᾱ_t)·ε)/√ᾱ_t,
    /// μ = √ᾱ_s·x̂₀ + √(1 − ᾱ_s − σ²)·ε.
    /// </summary>
    public static StepCoefficients Coefficients(NoiseSchedule schedule, int t, int s, float eta)
    {
        double at = schedule.AlphaBar(t), asPrev = schedule.AlphaBar(s);
        double sigma = eta * Math.Sqrt((1 - asPrev) / (1 - at)) * Math.Sqrt(1 - at / asPrev);
        return new StepCoefficients(t, s, (float)(1 / Math.Sqrt(at)), (float)Math.Sqrt((1 - at) / at), (float)Math.Sqrt(asPrev),
            (float)Math.Sqrt(Math.Max(1 - asPrev - sigma * sigma, 0)), (float)sigma);
    }

    /// <summary>
    /// Samples one trajectory per row: <paramref name="conditions"/> (B·A) and one random source per row (the initial noise and
    /// every step's noise of row i come from <paramref name="rowRngs"/>[i], so a row's result does not depend on its batch).
    /// </summary>
    public List<DdimTrajectory> Sample(ReadOnlySpan<int> conditions, IReadOnlyList<Rng> rowRngs)
    {
        int b = rowRngs.Count, d = Model.Config.ImageValues, attrs = Model.Config.ConditionSizes.Length;
        if (conditions.Length != b * attrs) throw new ArgumentException($"DdimSampler: {conditions.Length} condition ids for {b} rows × {attrs} attributes.");
        var states = new float[b][][];
        var means = new float[b][][];
        var logps = new float[b][];
        var x = new float[b * d]; // (B, D)
        for (int i = 0; i < b; i++)
        {
            rowRngs[i].FillNormal(x.AsSpan(i * d, d));
            states[i] = new float[steps.Length + 1][];
            states[i][0] = x.AsSpan(i * d, d).ToArray();
            means[i] = new float[steps.Length][];
            logps[i] = new float[StochasticSteps];
        }
        var cond = conditions.ToArray();
        using var noGrad = Autograd.NoGrad();
        for (int k = 0; k < steps.Length; k++)
        {
            using var scope = new TensorScope();
            var rows = Enumerable.Repeat(steps[k], b).ToArray();
            var mean = Mean(x, rows, cond); // (B, D)
            var next = new float[b * d];
            var mv = mean.Span;
            for (int i = 0; i < b; i++)
            {
                means[i][k] = mv.Slice(i * d, d).ToArray();
                var noise = next.AsSpan(i * d, d);
                if (k < StochasticSteps) rowRngs[i].FillNormal(noise, 0f, steps[k].Sigma);
                for (int j = 0; j < d; j++) noise[j] += mv[i * d + j];
                states[i][k + 1] = noise.ToArray();
            }
            x = next;
            if (k == StochasticSteps) break;
            var lp = StepLogDensity(mean, next, rows).Span; // (B)
            for (int i = 0; i < b; i++) logps[i][k] = lp[i];
        }
        return [.. Enumerable.Range(0, b).Select(i => new DdimTrajectory(cond.AsSpan(i * attrs, attrs).ToArray(), states[i], logps[i]) { Means = means[i] })];
    }

    /// <summary>
    /// Replays <paramref name="trajectories"/> under the current model: (R, K − 1) log-densities of the stochastic steps with
    /// gradients, all R·(K − 1) steps in one forward pass. For an unchanged model this equals each trajectory's recorded <see cref="DdimTrajectory.StepLogProbs"/>.
    /// </summary>
    public Tensor StepLogProbs(IReadOnlyList<DdimTrajectory> trajectories) => StepLogProbs(trajectories, StochasticSteps);

    /// <summary>The first <paramref name="leadingSteps"/> columns of <see cref="StepLogProbs(IReadOnlyList{DdimTrajectory})"/>, (R, leadingSteps), computing only those steps.</summary>
    public Tensor StepLogProbs(IReadOnlyList<DdimTrajectory> trajectories, int leadingSteps)
    {
        if (leadingSteps < 1 || leadingSteps > StochasticSteps) throw new ArgumentException($"DdimSampler: {leadingSteps} leading steps of {StochasticSteps} stochastic ones.");
        return Replay(trajectories, leadingSteps).LogProbs;
    }

    /// <summary>
    /// Replays the first <paramref name="leadingSteps"/> (1..K) steps of every trajectory with gradients in one forward pass: the means
    /// μ_θ(x_k), (R·leadingSteps, D) trajectory-major (what a KL towards a reference differentiates), and the log-densities (R, L) of the
    /// stochastic steps among them, L = min(leadingSteps, K − 1) (the last step, onto the clean image, has none).
    /// </summary>
    public (Tensor LogProbs, Tensor Means) Replay(IReadOnlyList<DdimTrajectory> trajectories, int leadingSteps)
    {
        if (leadingSteps < 1 || leadingSteps > steps.Length) throw new ArgumentException($"DdimSampler: a replay of {leadingSteps} leading steps of {steps.Length}.");
        int r = trajectories.Count, d = Model.Config.ImageValues, stochastic = Math.Min(leadingSteps, StochasticSteps);
        var (x, target, cond, rows) = Gather(trajectories, leadingSteps);
        var means = Mean(x, rows, cond);
        if (stochastic == leadingSteps) return (Ops.Reshape(StepLogDensity(means, target, rows), r, leadingSteps), means);
        // Drop each trajectory's deterministic last row (σ = 0) before the log-density.
        var kept = Ops.Reshape(Ops.Slice(Ops.Reshape(means, r, leadingSteps, d), 1, 0, stochastic), r * stochastic, d);
        var keptTarget = new float[r * stochastic * d];
        var keptRows = new StepCoefficients[r * stochastic];
        for (int i = 0; i < r; i++)
        {
            Array.Copy(target, i * leadingSteps * d, keptTarget, i * stochastic * d, stochastic * d);
            Array.Copy(rows, i * leadingSteps, keptRows, i * stochastic, stochastic);
        }
        return (Ops.Reshape(StepLogDensity(kept, keptTarget, keptRows), r, stochastic), means);
    }

    /// <summary>
    /// The means μ_θ(x_k) this sampler's model gives the recorded states of the first <paramref name="leadingSteps"/> steps (up to all K,
    /// the last one being the deterministic step onto the clean image), without gradients: (R·leadingSteps, D) row-major, trajectory-major. With two samplers (a policy and a reference) these give
    /// the closed-form KL of each step's Gaussian transitions.
    /// </summary>
    public float[] StepMeans(IReadOnlyList<DdimTrajectory> trajectories, int leadingSteps)
    {
        if (leadingSteps < 1 || leadingSteps > steps.Length) throw new ArgumentException($"DdimSampler: means of {leadingSteps} leading steps of {steps.Length}.");
        var (x, _, cond, rows) = Gather(trajectories, leadingSteps);
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        return Mean(x, rows, cond).Span.ToArray();
    }

    // The states, next states, conditions and step coefficients of the first k steps of every trajectory, one row per step.
    private (float[] X, float[] Target, int[] Conditions, StepCoefficients[] Rows) Gather(IReadOnlyList<DdimTrajectory> trajectories, int leadingSteps)
    {
        int r = trajectories.Count, k = leadingSteps, d = Model.Config.ImageValues, attrs = Model.Config.ConditionSizes.Length;
        var x = new float[r * k * d];
        var target = new float[r * k * d];
        var cond = new int[r * k * attrs];
        var rows = new StepCoefficients[r * k];
        for (int i = 0; i < r; i++)
        {
            var tr = trajectories[i];
            if (tr.States.Length != steps.Length + 1) throw new ArgumentException($"DdimSampler: a trajectory of {tr.States.Length - 1} steps replayed by a {steps.Length}-step sampler.");
            for (int s = 0; s < k; s++)
            {
                int row = i * k + s;
                tr.States[s].CopyTo(x, row * d);
                tr.States[s + 1].CopyTo(target, row * d);
                tr.Condition.CopyTo(cond, row * attrs);
                rows[row] = steps[s];
            }
        }
        return (x, target, cond, rows);
    }

    /// <summary>μ_θ(x_t) for rows of x (N, D) each at its own step. Returns (N, D).</summary>
    private Tensor Mean(float[] x, StepCoefficients[] rows, int[] conditions)
    {
        int n = rows.Length, d = Model.Config.ImageValues, s = Model.Config.ImageSize;
        var eps = Ops.Reshape(Model.Forward(Tensor.FromArray(x, n, Model.Config.Channels, s, s), rows.Select(c => c.Timestep).ToArray(), conditions), n, d); // (N, D)
        if (Model.Config.PredictsV)
        {
            // ε = √ᾱ·v + √(1−ᾱ)·x_t, with √ᾱ = 1/InverseSqrtAlphaBar and √(1−ᾱ) = NoiseToClean·√ᾱ.
            var noisePart = new float[n * d]; // √(1−ᾱ)·x_t
            for (int i = 0; i < n; i++)
                for (int j = 0; j < d; j++) noisePart[i * d + j] = x[i * d + j] * rows[i].NoiseToClean / rows[i].InverseSqrtAlphaBar;
            eps = Ops.Add(Ops.Mul(eps, Column(rows, c => 1f / c.InverseSqrtAlphaBar)), Tensor.FromArray(noisePart, n, d));
        }
        var scaled = new float[n * d]; // x_t/√ᾱ_t
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) scaled[i * d + j] = x[i * d + j] * rows[i].InverseSqrtAlphaBar;
        var x0 = Ops.Sub(Tensor.FromArray(scaled, n, d), Ops.Mul(eps, Column(rows, c => c.NoiseToClean))); // (N, D)
        if (Options.ClipSample) x0 = Ops.Clamp(x0, -1f, 1f);
        return Ops.Add(Ops.Mul(x0, Column(rows, c => c.MeanScale)), Ops.Mul(eps, Column(rows, c => c.NoiseScale)));
    }

    private static Tensor Column(StepCoefficients[] rows, Func<StepCoefficients, float> f) =>
        Tensor.FromArray([.. rows.Select(f)], rows.Length, 1);

    /// <summary>
    /// (N): (1/D)·Σ_j ln N(x_j; μ_j, σ²) = −(1/D)·Σ_j (x_j − μ_j)²/(2σ²) − ln σ − ½·ln 2π for each row of
    /// <paramref name="mean"/> (N, D) (with gradient) and the fixed sample <paramref name="x"/> (N·D), σ from the row's step.
    /// </summary>
    public static Tensor StepLogDensity(Tensor mean, float[] x, IReadOnlyList<StepCoefficients> rows)
    {
        int n = mean.Shape[0], d = mean.Shape[1];
        if (x.Length != n * d || rows.Count != n) throw new ArgumentException($"StepLogDensity: sample of {x.Length} values and {rows.Count} steps for a mean {Tensor.Format(mean.Shape)}.");
        var diff = Ops.Sub(Tensor.FromArray(x, n, d), mean); // (N, D)
        var scale = new float[n];
        var offset = new float[n];
        for (int i = 0; i < n; i++)
        {
            double sigma = rows[i].Sigma;
            scale[i] = (float)(-1 / (2 * sigma * sigma * d));
            offset[i] = (float)(-Math.Log(sigma) - 0.5 * Math.Log(2 * Math.PI));
        }
        var quad = Ops.Sum(Ops.Mul(Ops.Mul(diff, diff), Tensor.FromArray(scale, n, 1)), 1); // (N)
        return Ops.Add(quad, Tensor.FromArray(offset, n));
    }
}
