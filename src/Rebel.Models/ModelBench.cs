// Quick model speed figures (for `rebel bench`): a training step and KV-cache sampling on the reference
// configuration of scripts/golden/torch_model_bench.py (GPT-2, 4 layers, width 256, 4 heads, context 128, vocab 512).
using System.Diagnostics;
using Rebel.Models.Sampling;
using Rebel.Tensors;
using Rebel.Tensors.Optim;

namespace Rebel.Models;

/// <summary>Training and sampling throughput of a small GPT-2.</summary>
public static partial class ModelBench
{
    /// <summary>The reference model: GPT-2, 4 layers, width 256, 4 heads, context 128, vocab 512.</summary>
    public static ModelConfig ReferenceConfig { get; } = new()
    {
        Architecture = ModelArchitecture.Gpt2, VocabSize = 512, HiddenSize = 256, Layers = 4, Heads = 4, KvHeads = 4,
        IntermediateSize = 1024, MaxPositions = 128,
    };

    /// <summary>
    /// Runs the benches and returns their figures (two decimals): "train" tokens_per_s, step_ms_median, final_loss (batch 8×128: forward, cross-entropy,
    /// backward, AdamW, one TensorScope per step; median of <paramref name="trainSteps"/> steps after <paramref name="warmup"/>;
    /// the warm-up is long enough for the runtime to finish re-compiling the hot methods at full optimisation),
    /// "train_peak_mb" mb (process peak working set after the training loop) and
    /// "sample" tokens_per_s, seconds_median (16 prompts of 16 tokens, 48 new tokens each with the cache, 16·48 / median seconds).
    /// On an accelerator (<paramref name="device"/>) the model trains and samples there, every line names the device, and a bench
    /// the device has no kernel for yet prints its "unsupported" reason instead of figures.
    /// </summary>
    public static IReadOnlyList<BenchFigures> Run(int trainSteps = 20, int warmup = 8, int sampleReps = 5, ModelConfig? config = null, TensorDevice? device = null)
    {
        config ??= ReferenceConfig;
        device ??= TensorDevice.Cpu;
        var model = ModelFactory.Create(config, new Rng(0));
        if (!device.IsHost) model.ToDevice(device);
        int batch = 8, time = Math.Min(128, config.MaxPositions);
        var (stepSeconds, loss) = TrainStepSeconds(model, batch, time, trainSteps, warmup);
        long peak = Process.GetCurrentProcess().PeakWorkingSet64;
        var sample = OrUnsupported("sample", device, () =>
        {
            double sampleSeconds = SampleSeconds(model, 16, 16, 48, sampleReps);
            return new("sample", [("tokens_per_s", 16 * 48 / sampleSeconds), ("seconds_median", sampleSeconds)], Digits: 2);
        });
        return
        [
            .. new BenchFigures[]
            {
                new("train", [("tokens_per_s", batch * time / stepSeconds), ("step_ms_median", stepSeconds * 1000), ("final_loss", (double)loss)], Digits: 2),
                new("train_peak_mb", [("mb", peak / (1024.0 * 1024.0))], Digits: 2),
                sample,
            }.Select(line => Tagged(line, device)),
        ];
    }

    /// <summary>Median seconds of one training step (and the last loss).</summary>
    public static (double Seconds, float Loss) TrainStepSeconds(LanguageModel model, int batch, int time, int steps, int warmup) =>
        TrainStepSeconds(model, model.Parameters, batch, time, steps, warmup);

    /// <summary>Median seconds of one training step that updates <paramref name="trainable"/> alone (and the last loss).</summary>
    public static (double Seconds, float Loss) TrainStepSeconds(LanguageModel model, IReadOnlyList<Tensor> trainable, int batch, int time, int steps, int warmup)
    {
        var rng = new Rng(1);
        var data = new int[batch * (time + 1)];
        for (int i = 0; i < data.Length; i++) data[i] = rng.NextInt(model.Config.VocabSize);
        var inputs = new int[batch * time];
        var targets = new int[batch * time];
        for (int b = 0; b < batch; b++)
        {
            data.AsSpan(b * (time + 1), time).CopyTo(inputs.AsSpan(b * time));
            data.AsSpan(b * (time + 1) + 1, time).CopyTo(targets.AsSpan(b * time));
        }
        var optimizer = new AdamW(trainable, 1e-3f, weightDecay: 0.01f);
        var times = new List<double>();
        float loss = 0;
        for (int s = 0; s < warmup + steps; s++)
        {
            long t0 = Stopwatch.GetTimestamp();
            using (var scope = new TensorScope())
            {
                var l = Ops.CrossEntropy(model.Forward(inputs, batch, time), targets);
                optimizer.ZeroGrad();
                l.Backward();
                optimizer.Step();
                loss = l.Item();
            }
            model.Device.Synchronize(); // an accelerator's kernels run asynchronously: wait before reading the clock
            if (s >= warmup) times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return (Median(times), loss);
    }

    /// <summary>Median seconds of one <see cref="Sampler.Generate(LanguageModel, IReadOnlyList{int[]}, SamplingOptions, Rng)"/> call (temperature 1, no EOS).</summary>
    public static double SampleSeconds(LanguageModel model, int prompts, int promptLength, int newTokens, int reps)
    {
        var times = new List<double>();
        for (int r = 0; r <= reps; r++)
        {
            var rng = new Rng((ulong)r + 1);
            var batch = new int[prompts][];
            for (int i = 0; i < prompts; i++)
            {
                batch[i] = new int[promptLength];
                for (int t = 0; t < promptLength; t++) batch[i][t] = rng.NextInt(model.Config.VocabSize);
            }
            long t0 = Stopwatch.GetTimestamp();
            Sampler.Generate(model, batch, new SamplingOptions { MaxNewTokens = newTokens, EosTokenIds = [-1] }, rng);
            model.Device.Synchronize();
            if (r > 0) times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds); // the first call is the warm-up
        }
        return Median(times);
    }

    private static double Median(List<double> xs)
    {
        xs.Sort();
        return xs[xs.Count / 2];
    }
}
