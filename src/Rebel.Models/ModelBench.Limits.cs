// `rebel bench model --preset NAME`: training and sampling speed on a checkpoint's exact shape, each set against the limit
// this machine puts on it (GEMM GFLOP/s for training; memory bandwidth and GEMM GFLOP/s for decoding), with the peak memory of the run.
using System.Globalization;
using System.Runtime.Intrinsics;
using Rebel.Tensors;
using Rebel.Tensors.Kernels;

namespace Rebel.Models;

public static partial class ModelBench
{
    /// <summary>
    /// Figures, one line each: "machine" (CPU model, vendor, cores, SIMD paths), "gemm_limit" (GFLOP/s of Gemm at the
    /// shape of the model's MLP up-projection over B·T rows), "memory_limit" (triad GB/s, <see cref="MemoryBench"/>), "train"
    /// (full fine-tuning tokens/s; achieved GFLOP/s ≈ 6 · matmul parameters · tokens/s, attention's own FLOPs left out, and its
    /// share of the GEMM limit), "train_lora" (the same with rank-16 LoRA adapters on the
    /// family's default targets, only the adapters training), "sample" (tokens/s of <paramref name="prompts"/> prompts × <paramref name="newTokens"/> new tokens; weight bytes
    /// read per decode step × steps/s and its share of the bandwidth; <see cref="SampleFlops"/> per second and its share of the GEMM limit) and "peak_memory" (VmHWM and the peak of live tensor bytes).
    /// Batch B defaults to 8 rows of 128 tokens, 4 rows from 300M parameters on; the new tokens stop at the context length. On an accelerator (<paramref name="device"/>) the
    /// model, its training and its sampling run there, both limits are measured on the device (<see cref="DeviceGemmGflops"/>,
    /// <see cref="DeviceAddGigabytesPerSecond"/>), every line after "machine" names the device, "peak_memory" adds the peak of
    /// device tensor bytes, and a bench the device has no kernel for yet prints its "unsupported" reason instead of figures.
    /// </summary>
    public static IEnumerable<BenchFigures> RunPreset(string preset, int trainSteps = 3, int warmup = 1, int sampleReps = 1,
        int? batch = null, int prompts = 16, int newTokens = 48, TensorDevice? device = null) =>
        RunShape(ModelConfig.Preset(preset), preset, trainSteps, warmup, sampleReps, batch, prompts, newTokens, device: device);

    /// <summary>
    /// <see cref="RunPreset"/> on any configuration, labelled <paramref name="label"/>; <paramref name="bandwidthFloats"/>
    /// sizes each array of the bandwidth triad (<see cref="MemoryBench.TriadGigabytesPerSecond"/>, or the device's add). Each line
    /// comes as soon as it is measured (a long run on a GPU shows its training figures before sampling starts).
    /// </summary>
    public static IEnumerable<BenchFigures> RunShape(ModelConfig config, string label, int trainSteps = 3, int warmup = 1, int sampleReps = 1,
        int? batch = null, int prompts = 16, int newTokens = 48, int bandwidthFloats = 16 << 20, TensorDevice? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        device ??= TensorDevice.Cpu;
        string preset = label;
        yield return Machine();
        int time = Math.Min(128, config.MaxPositions);
        var model = ModelFactory.Create(config, new Rng(0));
        if (!device.IsHost) model.ToDevice(device);
        long matmulParams = MatmulParameterCount(model);
        int rows = batch ?? (model.ParameterCount >= 300_000_000 ? 4 : 8);

        double gemm = device.IsHost ? GemmBench.Measure(rows * time, config.IntermediateSize, config.HiddenSize, repeats: 3)
            : DeviceGemmGflops(device, rows * time, config.IntermediateSize, config.HiddenSize);
        yield return Tagged(Line("gemm_limit", ("gflops", gemm), ("m", rows * time), ("n", config.IntermediateSize), ("k", config.HiddenSize)), device);
        double bandwidth = device.IsHost ? MemoryBench.TriadGigabytesPerSecond(bandwidthFloats) : DeviceAddGigabytesPerSecond(device, bandwidthFloats);
        yield return Tagged(Line("memory_limit", ("gb_per_s", bandwidth)), device);

        TensorMemory.ResetPeak();
        yield return Tagged(OrUnsupported("train", device, () =>
        {
            var (stepSeconds, loss) = TrainStepSeconds(model, batch: rows, time, trainSteps, warmup);
            return TrainLine("train", preset, model.ParameterCount, matmulParams, rows, time, stepSeconds, loss, gemm);
        }), device);
        const int promptLength = 16;
        newTokens = Math.Min(newTokens, config.MaxPositions - promptLength); // a short context (a tiny model's) bounds the new tokens
        yield return Tagged(OrUnsupported("sample", device, () =>
        {
            double sampleSeconds = SampleSeconds(model, prompts, promptLength, newTokens, sampleReps);
            double stepsPerSecond = newTokens / sampleSeconds, weightBytes = matmulParams * (double)sizeof(float);
            double sampleGflops = SampleFlops(matmulParams, (long)config.VocabSize * config.HiddenSize, prompts, promptLength, newTokens) / sampleSeconds / 1e9;
            return Line("sample", ("tokens_per_s", prompts * newTokens / sampleSeconds), ("prompts", prompts), ("new_tokens", newTokens),
                ("steps_per_s", stepsPerSecond), ("weight_gb_per_step", weightBytes / 1e9), ("achieved_gb_per_s", weightBytes * stepsPerSecond / 1e9),
                ("share_of_bandwidth", weightBytes * stepsPerSecond / 1e9 / bandwidth), ("achieved_gflops", sampleGflops), ("share_of_gemm", sampleGflops / gemm));
        }), device);
        // LoRA r = 16 on the family's default targets (PEFT's), base frozen: only the adapters train (moved to the model's device).
        model.AddLora(new Lora.LoraOptions { Rank = 16, Alpha = 16 }, new Rng(1));
        if (!device.IsHost) model.ToDevice(device);
        yield return Tagged(OrUnsupported("train_lora", device, () =>
        {
            var (loraSeconds, loraLoss) = TrainStepSeconds(model, model.Parameters, rows, time, trainSteps, warmup);
            return TrainLine("train_lora", preset, model.ParameterCount, matmulParams, rows, time, loraSeconds, loraLoss, gemm);
        }), device);
        var peak = Line("peak_memory", ("vm_hwm_mb", PeakResidentBytes() / (1024.0 * 1024.0)), ("tensor_peak_mb", TensorMemory.PeakBytes / (1024.0 * 1024.0)));
        if (!device.IsHost)
        {
            peak = peak with { Figures = [.. peak.Figures, ("device_peak_mb", TensorMemory.DevicePeakBytes / (1024.0 * 1024.0))] };
            model.ToDevice(TensorDevice.Cpu); // frees the weights and gradients on the device, so a next run there starts from an empty device
            device.TrimPool();
        }
        yield return Tagged(peak, device);
    }

    /// <summary>
    /// Parameters that take part in a matrix product per token: all of them (biases and norms too, a rounding error at real
    /// sizes), less the input embedding when the head has its own weight (a lookup costs no FLOPs and reads one row) and less
    /// GPT-2's learned positions.
    /// </summary>
    public static long MatmulParameterCount(LanguageModel model)
    {
        var c = model.Config;
        long n = model.ParameterCount;
        if (!c.TieWordEmbeddings) n -= (long)c.VocabSize * c.HiddenSize;
        if (c.Architecture == ModelArchitecture.Gpt2) n -= (long)c.MaxPositions * c.HiddenSize;
        return n;
    }

    /// <summary>
    /// Matrix-product FLOPs of one <see cref="SampleSeconds"/> call with distinct prompts: the prefill runs the body (every product
    /// but the head, <paramref name="headParams"/> = V · C, of the <paramref name="matmulParams"/>) over all prompt tokens and the
    /// head over each prompt's last one; each of the other new tokens but the last runs body and head over one row per prompt:
    /// 2 · prompts · (promptLength · body + newTokens · head + (newTokens − 1) · body). With many rows a decode step is bound by
    /// these FLOPs rather than by reading the weights: 16 rows do 8 FLOPs per weight byte.
    /// </summary>
    public static double SampleFlops(long matmulParams, long headParams, int prompts, int promptLength, int newTokens)
    {
        double body = matmulParams - headParams;
        return 2.0 * prompts * (promptLength * body + newTokens * (double)headParams + (newTokens - 1) * body);
    }

    private static BenchFigures TrainLine(string bench, string preset, long parameters, long matmulParams, int rows, int time, double seconds, float loss, double gemm)
    {
        double tokens = rows * time / seconds, gflops = 6.0 * matmulParams * tokens / 1e9;
        return new(bench, [("preset", preset), ("parameters", parameters), ("batch", rows), ("time", time), ("tokens_per_s", tokens), ("step_ms_median", seconds * 1000),
            ("final_loss", (double)loss), ("achieved_gflops", gflops), ("share_of_gemm", gflops / gemm)]);
    }

    private static BenchFigures Machine()
    {
        string cpu = "unknown", vendor = "unknown";
        if (File.Exists("/proc/cpuinfo"))
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0) continue;
                string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
                if (key == "model name" && cpu == "unknown") cpu = value;
                if (key == "vendor_id" && vendor == "unknown") vendor = value;
            }
        }
        return new("machine", [("cpu", cpu), ("vendor", vendor), ("cores", Environment.ProcessorCount), ("gemm_path", Gemm.ActivePath.ToString().ToLowerInvariant()),
            ("vector512", Vector512.IsHardwareAccelerated), ("vector256", Vector256.IsHardwareAccelerated)]);
    }

    // VmHWM from /proc/self/status (kB), else the runtime's peak working set.
    private static long PeakResidentBytes()
    {
        if (File.Exists("/proc/self/status"))
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out long kb)) return kb * 1024;
            }
        }
        return System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64;
    }

    private static BenchFigures Line(string bench, params (string Key, double Value)[] fields) => new(bench, [.. fields.Select(f => (f.Key, (object)f.Value))]);
}
