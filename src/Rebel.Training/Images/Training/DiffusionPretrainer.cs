// Noise-prediction pretraining of a conditional diffusion model (Ho et al. 2020): draw x₀ and its caption, a timestep
// t ~ U[0, T) and ε ~ N(0, I), form x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε, and minimise the mean squared error ‖ε_θ(x_t, t, c) − ε‖².
using Rebel.Models.Diffusion;
using Rebel.Tensors;
using Rebel.Tensors.Distributed;
using Rebel.Tensors.Optim;
using Rebel.Training.Images.Data;

namespace Rebel.Training.Images.Training;

/// <summary>Trains a denoiser (<see cref="IDenoiser"/>) to predict the noise (or v, see <see cref="DitConfig.PredictionType"/>) in images of a data set.</summary>
public sealed class DiffusionPretrainer
{
    private readonly IDenoiser model;
    private readonly IReadOnlyList<ShapeImage> data;
    private readonly NoiseSchedule schedule;
    private readonly AdamW optimizer;
    private readonly LrSchedule lr;
    private readonly Rng rng;
    private int[] order = [];
    private int cursor;

    /// <summary>The options in force.</summary>
    public DiffusionPretrainOptions Options { get; }

    /// <summary>Steps taken so far.</summary>
    public int StepsTaken { get; private set; }

    /// <summary>
    /// The exponential moving average of the weights (<see cref="DiffusionPretrainOptions.EmaDecay"/>), a separate model of the same
    /// config; the trained model itself when the average is off.
    /// </summary>
    public IDenoiser Averaged { get; }

    /// <summary>Called after each step with (step, loss).</summary>
    public Action<int, double>? StepCompleted { get; set; }

    /// <summary>Sets up training on <paramref name="data"/> (images of the model's size).</summary>
    public DiffusionPretrainer(IDenoiser model, IReadOnlyList<ShapeImage> data, DiffusionPretrainOptions options)
    {
        options.Validate();
        if (data.Count == 0) throw new ArgumentException("DiffusionPretrainer: no images.");
        if (data[0].Pixels.Length != model.Config.ImageValues)
            throw new ArgumentException($"DiffusionPretrainer: images of {data[0].Pixels.Length} values for a model of {model.Config.ImageValues}.");
        this.model = model;
        this.data = data;
        Options = options;
        schedule = new NoiseSchedule(model.Config.TrainTimesteps);
        optimizer = new AdamW(model.Parameters, options.LearningRate, weightDecay: options.WeightDecay);
        lr = new LrSchedule(options.Schedule, options.LearningRate, Math.Max(options.Steps, 1), options.WarmupSteps);
        rng = new Rng(options.Seed);
        Averaged = options.EmaDecay > 0 ? Denoiser.Copy(model) : model;
    }

    /// <summary>
    /// Runs up to <see cref="DiffusionPretrainOptions.Steps"/> steps in total; returns the mean loss of the steps run.
    /// <paramref name="stopAfter"/>, when given, is asked after each step whether to stop early.
    /// </summary>
    public double Train(CancellationToken cancel = default, Func<int, bool>? stopAfter = null)
    {
        double sum = 0;
        int count = 0;
        while (StepsTaken < Options.Steps)
        {
            cancel.ThrowIfCancellationRequested();
            sum += Step();
            count++;
            if (stopAfter?.Invoke(StepsTaken) == true) break;
        }
        return count == 0 ? double.NaN : sum / count;
    }

    /// <summary>One optimizer step on a fresh batch; returns its loss.</summary>
    public double Step()
    {
        var cfg = model.Config;
        int b = Options.BatchSize, d = cfg.ImageValues;
        var xt = new float[b * d];
        var target = new float[b * d]; // ε, or v for a v-prediction model
        var timesteps = new int[b];
        var conditions = new int[b * cfg.ConditionSizes.Length];
        for (int i = 0; i < b; i++)
        {
            var image = NextImage();
            int t = rng.NextInt(cfg.TrainTimesteps);
            float a = (float)Math.Sqrt(schedule.AlphaBar(t)), s = (float)Math.Sqrt(1 - schedule.AlphaBar(t));
            var e = target.AsSpan(i * d, d);
            rng.FillNormal(e);
            for (int j = 0; j < d; j++) xt[i * d + j] = a * image.Pixels[j] + s * e[j];
            if (cfg.PredictsV)
                for (int j = 0; j < d; j++) e[j] = a * e[j] - s * image.Pixels[j]; // the target becomes v = √ᾱ·ε − √(1−ᾱ)·x₀
            timesteps[i] = t;
            ImageConditions.Of(image.Captioned).CopyTo(conditions, i * cfg.ConditionSizes.Length);
        }
        // Every process draws the whole batch (the same random numbers as one process) and trains on its share of the rows.
        var (rows, first) = Collectives.World.Share(Enumerable.Range(0, b).ToArray(), "DiffusionPretrainer: batch size");
        int n = rows.Count, c = cfg.ConditionSizes.Length;
        double loss;
        using (var scope = new TensorScope())
        {
            var x = Tensor.FromArray(xt.AsSpan(first * d, n * d).ToArray(), n, cfg.Channels, cfg.ImageSize, cfg.ImageSize); // (B, Ch, S, S)
            var pred = model.Forward(x, timesteps[first..(first + n)], conditions[(first * c)..((first + n) * c)]); // (B, Ch, S, S)
            var err = Ops.Sub(pred, Tensor.FromArray(target.AsSpan(first * d, n * d).ToArray(), pred.Shape));
            var mse = Ops.Mean(Ops.Mul(err, err));
            mse.Backward();
            loss = mse.Item();
        }
        optimizer.LearningRate = lr.At(optimizer.StepCount);
        optimizer.ClipAndStep(Options.MaxGradNorm);
        if (!ReferenceEquals(Averaged, model)) UpdateAverage();
        StepsTaken++;
        StepCompleted?.Invoke(StepsTaken, loss);
        return loss;
    }

    // θ̄ ← d·θ̄ + (1 − d)·θ with the warmed-up decay of step n = StepsTaken (before the increment).
    private void UpdateAverage()
    {
        float d = Math.Min(Options.EmaDecay, (1f + StepsTaken) / (10f + StepsTaken));
        foreach (var (name, p) in model.NamedParameters) Averaged.NamedParameters[name].UpdateMovingAverage(p, d);
    }

    // Passes over the data set, each in a fresh random order.
    private ShapeImage NextImage()
    {
        if (cursor == order.Length)
        {
            order = rng.Permutation(data.Count);
            cursor = 0;
        }
        return data[order[cursor++]];
    }
}
