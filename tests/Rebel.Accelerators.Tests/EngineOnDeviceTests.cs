// The engine's tensors on an accelerator: ops dispatch on where their operands live, the tape and the optimizer run there, and a
// whole model's forward and backward on ilgpu-cpu equal the managed engine's.
using Rebel.Models;
using Rebel.Models.Diffusion;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Tensors.Optim;
using Rebel.Training;
using Rebel.Training.Data;
using Rebel.Training.Rewards;

namespace Rebel.Accelerators.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class EngineOnDeviceTests(IlgpuCpuFixture fixture)
{
    private AcceleratorDevice Device => fixture.Device;

    [Fact]
    public void Moving_is_explicit_and_mixed_devices_name_both()
    {
        var host = Compare.Leaf(1, 2, 3);
        var onDevice = Ops.ToDevice(host, Device);
        Assert.True(onDevice.IsOnDevice);
        Assert.Same(Device, onDevice.Device);
        Compare.Close(host.ToArray(), onDevice.ToArray(), 0f, "round trip");
        var e = Assert.Throws<ArgumentException>(() => Ops.Add(onDevice, host));
        Assert.Contains("lives on ilgpu-cpu", e.Message);
        Assert.Contains("on cpu", e.Message);
        Assert.Contains("ToDevice", e.Message);
        var read = Assert.Throws<InvalidOperationException>(() => onDevice.Span.ToArray());
        Assert.Contains("ilgpu-cpu", read.Message);
        Assert.Contains("ToHost", read.Message);
    }

    [Fact]
    public void A_model_moved_there_and_back_computes_the_same_and_frees_its_device_bytes()
    {
        var config = new ModelConfig { Architecture = ModelArchitecture.Llama, VocabSize = 29, HiddenSize = 16, Layers = 1, Heads = 2, KvHeads = 1, IntermediateSize = 24, MaxPositions = 16, EosTokenIds = [0] };
        var model = ModelFactory.Create(config, new Rng(9));
        int[] ids = [1, 5, 7, 3];
        float[] Logits()
        {
            using var scope = new TensorScope();
            using var noGrad = Autograd.NoGrad();
            return Ops.ToHost(model.Forward(ids, 1, 4)).ToArray();
        }
        var before = Logits();
        model.ToDevice(Device);
        long onDevice = TensorMemory.DeviceLiveBytes;
        Compare.Close(before, Logits(), 1e-5f, "logits on the device");
        model.ToDevice(TensorDevice.Cpu);
        Assert.All(model.Parameters, p => Assert.False(p.IsOnDevice));
        Assert.True(onDevice - TensorMemory.DeviceLiveBytes >= 4L * model.ParameterCount, "the weights' device storage is freed when they come back");
        Assert.Equal(before, Logits()); // bit for bit the host's again
    }

    [Fact]
    public void Gradients_flow_back_across_ToDevice_and_ToHost()
    {
        var x = Tensor.Parameter([0.5f, -1f, 2f, 3f], [2, 2], "x");
        var loss = Ops.Sum(Ops.Mul(Ops.ToHost(Ops.Tanh(Ops.ToDevice(x, Device))), 2f));
        loss.Backward();
        var expected = x.ToArray().Select(v => 2f * (1f - MathF.Tanh(v) * MathF.Tanh(v))).ToArray();
        Compare.Close(expected, x.Grad, 1e-6f, "dx");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_chunked_head_on_the_device_equals_the_host(bool withGradient)
    {
        int[] targets = [3, -100, 5, 0, -100, 6, 2, 1, -100]; // ignored rows never reach the head
        var results = new List<float[]>();
        foreach (var device in new TensorDevice[] { TensorDevice.Cpu, Device })
        {
            var hidden = Compare.Leaf(4, 3, 3, 5); // (3, 3, C = 5)
            var weight = Compare.Leaf(5, 7, 5); // (V = 7, C)
            var h = Ops.ToDevice(hidden, device);
            var w = Ops.ToDevice(weight, device);
            var entropy = new float[targets.Length];
            Tensor Head() => Ops.ChunkedGatherLogProbs(h, x => Ops.Linear(x, w), targets, 0.7f, chunkRows: 2, entropy: entropy);
            Tensor lp;
            if (withGradient) lp = Head();
            else
            {
                using var noGrad = Autograd.NoGrad();
                lp = Head();
            }
            Assert.False(lp.IsOnDevice);
            Assert.Equal([3, 3], lp.Shape);
            float[] grads = [];
            if (withGradient)
            {
                Ops.Sum(Ops.Mul(lp, lp)).Backward();
                grads = [.. hidden.Grad!, .. weight.Grad!];
            }
            results.Add([.. lp.ToArray(), .. entropy, .. grads]);
        }
        Compare.Close(results[0], results[1], 1e-5f, withGradient ? "log-probs, entropies and gradients" : "log-probs and entropies");
        Assert.Equal(0f, results[1][1]); // an ignored row gives 0
    }

    [Fact]
    public void A_model_forward_backward_and_AdamW_step_on_the_device_equal_the_host()
    {
        foreach (var architecture in Enum.GetValues<ModelArchitecture>())
        {
            var config = new ModelConfig
            {
                Architecture = architecture, VocabSize = 37, HiddenSize = 16, Layers = 2, Heads = 4,
                KvHeads = architecture is ModelArchitecture.Gpt2 or ModelArchitecture.GptNeoX ? 4 : 2, // grouped-query heads where the family has them
                IntermediateSize = 24, MaxPositions = 32, EosTokenIds = [0],
                RotaryPct = architecture == ModelArchitecture.GptNeoX ? 0.5f : 1f, HiddenAct = architecture == ModelArchitecture.GptNeoX ? "gelu" : "gelu_new",
                SlidingWindow = architecture is ModelArchitecture.Mistral or ModelArchitecture.Gemma2 ? 3 : null,
                AttnLogitSoftcapping = architecture == ModelArchitecture.Gemma2 ? 5f : null,
                FinalLogitSoftcapping = architecture == ModelArchitecture.Gemma2 ? 7f : null,
            };
            var host = ModelFactory.Create(config, new Rng(5));
            var device = ModelFactory.Create(config, new Rng(5));
            device.ToDevice(Device);
            Assert.Same(Device, device.Device);
            Assert.All(device.Parameters, p => Assert.True(p.IsOnDevice, $"{p} stayed on the host"));
            Assert.True(TensorMemory.DeviceLiveBytes >= 4L * device.ParameterCount, "the weights' device bytes are counted");
            int[] ids = [3, 7, 1, 30, 2, 2, 9, 11, 4, 5, 6, 8];
            int[] targets = [7, 1, 30, 2, 2, 9, -100, 4, 5, 6, 8, 36];
            var optHost = new AdamW(host.Parameters, 1e-2f);
            var optDevice = new AdamW(device.Parameters, 1e-2f);
            for (int step = 0; step < 2; step++)
            {
                var results = new List<float[]>();
                foreach (var (model, opt) in new[] { (host, optHost), (device, optDevice) })
                {
                    using var scope = new TensorScope();
                    opt.ZeroGrad();
                    var hidden = model.ForwardHidden(ids, 2, 6);
                    var logp = model.TokenLogProbs(hidden, targets); // (2, 6) on the host either way
                    var loss = Ops.Mul(Ops.Sum(logp), -1f / 11);
                    loss.Backward();
                    Optimizer.ClipGradNorm(model.Parameters, 0.5f);
                    opt.Step();
                    results.Add([.. logp.ToArray(), .. model.Parameters.SelectMany(p => p.ToArray())]);
                }
                Compare.Close(results[0], results[1], 2e-5f, $"{architecture} step {step}: log-probs and updated weights");
            }
        }
    }

    // Fraction of 'a' characters in the completion: a dense reward a random tiny model moves on.
    private sealed class LetterReward : IReward
    {
        public string Name => "letter-a";

        public float[] Score(IReadOnlyList<RewardQuery> queries) =>
            [.. queries.Select(q => q.Completion.Length == 0 ? 0f : q.Completion.Count(c => c == 'a') / (float)q.Completion.Length)];
    }

    [Fact]
    public void Three_REBEL_iterations_on_the_device_match_the_cpu_run_to_1e_4()
    {
        var tokenizer = BpeTrainer.Train(Enumerable.Range(0, 40).Select(i => $"say {i % 7} letters: abab cdcd {i}"), 280, ["<|endoftext|>"]);
        int eos = tokenizer.EosTokenId!.Value;
        var config = new ModelConfig
        {
            Architecture = ModelArchitecture.Gpt2, VocabSize = tokenizer.VocabSize, HiddenSize = 32, Layers = 2, Heads = 2, KvHeads = 2,
            IntermediateSize = 64, MaxPositions = 48, EosTokenIds = [eos], PadTokenId = eos,
        };
        // prompts of different lengths (left padding in sampling and scoring) and repeated ones (shared prefills)
        var prompts = Enumerable.Range(0, 8).Select(i => PromptDataset.Parse($"{{\"prompt\": \"{(i % 2 == 0 ? "say" : "please say")} {i % 3} letters:\"}}", $"test:{i + 1}")).ToList();
        var options = new RebelOptions
        {
            Iterations = 3, PromptsPerIteration = 4, CompletionsPerPrompt = 2, MaxNewTokens = 6, Temperature = 1f, KlCoefficient = 0.05f, Eta = 10f,
            Epochs = 2, MiniBatchPairs = 2, LearningRate = 3e-3f, Seed = 11,
        };
        var runs = new List<IReadOnlyList<IReadOnlyDictionary<string, double>>>();
        foreach (var device in new TensorDevice[] { TensorDevice.Cpu, Device })
        {
            var model = ModelFactory.Create(config, new Rng(3));
            model.ToDevice(device);
            var trainer = new RebelTrainer(model, tokenizer, prompts, new LetterReward(), options);
            trainer.Train();
            runs.Add(trainer.Metrics.Rows);
        }
        Assert.Equal(3, runs[1].Count);
        int compared = 0;
        for (int it = 0; it < 3; it++)
        {
            foreach (var (key, expected) in runs[0][it])
            {
                if (key.StartsWith("time/", StringComparison.Ordinal) || key.Contains("per_second", StringComparison.Ordinal) || key.Contains("memory", StringComparison.Ordinal)) continue;
                double actual = runs[1][it][key];
                compared++;
                Assert.True(Math.Abs(actual - expected) <= 1e-4 * Math.Max(1, Math.Abs(expected)), $"iteration {it + 1}, {key}: ilgpu-cpu {actual}, cpu {expected}");
            }
        }
        Assert.True(compared >= 30, $"only {compared} metrics compared");
        Assert.True(runs[0][2]["loss/policy_avg"] != 0, "the loss is not trivially zero");
        Assert.NotEqual(runs[0][0]["objective/scores"], runs[0][2]["objective/scores"]); // the policy moved between iterations
    }

    [Fact]
    public void The_diffusion_models_forward_and_backward_on_the_device_equal_the_host()
    {
        var unet = new DitConfig { Architecture = DitConfig.Unet, ImageSize = 8, HiddenSize = 8, Layers = 2, ConditionSizes = [3, 4, 3], UnetConditioning = DitConfig.ScaleShiftConditioning };
        var dit = new DitConfig { Architecture = DitConfig.Dit, ImageSize = 8, PatchSize = 4, HiddenSize = 16, Layers = 1, Heads = 2, ConditionSizes = [3, 4, 3] };
        foreach (var config in new[] { unet, dit })
        {
            var results = new List<float[]>();
            foreach (var device in new TensorDevice[] { TensorDevice.Cpu, Device })
            {
                var model = Denoiser.Create(config);
                model.Initialize(new Rng(2));
                model.ToDevice(device);
                Assert.Same(device, model.Device);
                using var scope = new TensorScope();
                var x = Compare.Leaf(3, 2, 3, 8, 8); // host images in
                var y = model.Forward(x, [10, 900], [0, 1, 2, 2, 3, 0]);
                Assert.False(y.IsOnDevice); // predictions out on the host
                Ops.Sum(Ops.Mul(y, y)).Backward();
                results.Add([.. y.ToArray(), .. model.Parameters.SelectMany(p => p.Grad!), .. x.Grad!]);
            }
            Compare.Close(results[0], results[1], 2e-5f, $"{config.Architecture}: prediction and gradients");
        }
    }
}
