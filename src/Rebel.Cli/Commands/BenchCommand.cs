// `rebel bench`: quick speed figures (GEMM GFLOP/s, model training and sampling tokens/s) as one JSON line each or a table;
// the libraries measure (GemmBench, ModelBench) and this command formats their figures.
using System.CommandLine;
using System.Text.Json.Nodes;
using Rebel.Accelerators;
using Rebel.Models;
using Rebel.Models.Pretrained;
using Rebel.Tensors;
using Rebel.Tensors.Kernels;
using Spectre.Console;

namespace Rebel.Cli.Commands;

/// <summary>Builds the bench command.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var what = new Argument<string>("what") { Description = "gemm (matrix-multiply GFLOP/s), model (GPT-2 train/sample tokens/s) or all.", DefaultValueFactory = _ => "all" };
        what.AcceptOnlyFromAmong("gemm", "model", "all");
        var json = new Option<bool>("--json") { Description = "Print the JSON lines ({\"bench\":\"gemm\",\"n\":N,\"gflops\":G}, {\"bench\":\"train\",...}, ...)." };
        var preset = new Option<string?>("--preset")
        {
            Description = $"With model: time a random-weight model of a checkpoint's exact shape ({string.Join(", ", ModelConfig.CheckpointPresetNames)}) and set each figure against this machine's GEMM and memory limits.",
        };
        preset.AcceptOnlyFromAmong([.. ModelConfig.CheckpointPresetNames]);
        var modelDir = new Option<string?>("--model")
        {
            Description = "With model: time a random-weight model of this Hugging Face folder's shape (its config.json; the weights are not read), set against the limits as with --preset.",
        };
        var steps = new Option<int>("--steps") { Description = "With --preset or --model: timed training steps (median reported; one warm-up step runs first).", DefaultValueFactory = _ => 3 };
        var device = new Option<string>("--device")
        {
            Description = "With model: where the model trains and samples: cpu (the managed engine), ilgpu-cpu (ILGPU's CPU accelerator: the GPU kernels on " +
                "CPU threads, slow, for checking them) or cuda (an NVIDIA GPU: needs its driver and cuBLAS). On an accelerator the GEMM and memory limits are " +
                "measured on the device, every line names it and peak_memory adds the device's peak tensor bytes.",
            DefaultValueFactory = _ => "cpu",
        };
        device.AcceptOnlyFromAmong([.. DeviceNames.All]);
        var cmd = new Command("bench",
            "Quick speed figures as one-line JSON. For detailed, statistically sound numbers use BenchmarkDotNet: " +
            "dotnet run -c Release --project bench/Rebel.Benchmarks -- --filter '*'")
        {
            what, json, preset, modelDir, steps, device,
        };
        cmd.SetGuardedAction(parse =>
        {
            string choice = parse.GetValue(what)!;
            bool asJson = parse.GetValue(json);
            var lines = new List<JsonObject>();
            void Emit(BenchFigures figures)
            {
                var line = BenchJson.Line(figures);
                lines.Add(line);
                if (asJson) Console.Out.WriteLine(line.ToJsonString());
            }
            string? shape = parse.GetValue(preset), folder = parse.GetValue(modelDir), deviceName = parse.GetValue(device)!;
            int timed = parse.GetValue(steps);
            if (timed < 1) throw new ArgumentException($"--steps must be at least 1, not {timed}.");
            if (shape is not null && choice != "model") throw new ArgumentException("--preset goes with `rebel bench model`.");
            if (folder is not null && choice != "model") throw new ArgumentException("--model goes with `rebel bench model`.");
            if (shape is not null && folder is not null) throw new ArgumentException("--preset and --model each name the shape to time: give one.");
            if (DeviceNames.Parse(deviceName) != DeviceKind.Cpu && choice != "model")
                throw new ArgumentException($"--device {deviceName} goes with `rebel bench model` (the gemm bench times the host's GEMM).");
            if (choice is "gemm" or "all") foreach (var line in GemmBench.Run()) Emit(line);
            if (choice is "model" or "all")
            {
                var config = folder is null ? null : HfModelLoader.LoadConfig(folder);
                var opened = Device.Open(deviceName);
                try
                {
                    var figures = shape is not null ? ModelBench.RunPreset(shape, trainSteps: timed, device: opened)
                        : config is not null ? ModelBench.RunShape(config, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder!))), trainSteps: timed, device: opened)
                        : ModelBench.Run(device: opened);
                    foreach (var line in figures) Emit(line);
                }
                finally
                {
                    (opened as IDisposable)?.Dispose();
                }
            }
            if (!asJson) Terminal.Out.Write(Table(lines));
            return 0;
        });
        return cmd;
    }

    private static Table Table(IEnumerable<JsonObject> lines)
    {
        var table = new Table().AddColumn("bench").AddColumn("figures");
        foreach (var obj in lines)
        {
            string name = obj["bench"]?.GetValue<string>() ?? "?";
            var figures = obj.Where(kv => kv.Key != "bench").Select(kv => $"{kv.Key} {kv.Value?.ToJsonString()}");
            table.AddRow(Markup.Escape(name), Markup.Escape(string.Join("  ", figures)));
        }
        return table;
    }
}
