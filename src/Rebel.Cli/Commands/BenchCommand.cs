// `rebel bench`: quick speed figures (GEMM GFLOP/s, model training and sampling tokens/s) as one JSON line each or a table;
// the libraries measure (GemmBench, ModelBench) and this command formats their figures.
using System.CommandLine;
using System.Text.Json.Nodes;
using Rebel.Models;
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
        var steps = new Option<int>("--steps") { Description = "With --preset: timed training steps (median reported; one warm-up step runs first).", DefaultValueFactory = _ => 3 };
        var cmd = new Command("bench",
            "Quick speed figures as one-line JSON. For detailed, statistically sound numbers use BenchmarkDotNet: " +
            "dotnet run -c Release --project bench/Rebel.Benchmarks -- --filter '*'")
        {
            what, json, preset, steps,
        };
        cmd.SetGuardedAction(parse =>
        {
            string choice = parse.GetValue(what)!;
            bool asJson = parse.GetValue(json);
            var lines = new List<JsonObject>();
            void Emit(BenchFigures figures)
            {
                var line = Json(figures);
                lines.Add(line);
                if (asJson) Console.Out.WriteLine(line.ToJsonString());
            }
            if (choice is "gemm" or "all") foreach (var line in GemmBench.Run()) Emit(line);
            string? shape = parse.GetValue(preset);
            int timed = parse.GetValue(steps);
            if (timed < 1) throw new ArgumentException($"--steps must be at least 1, not {timed}.");
            if (shape is not null && choice != "model") throw new ArgumentException("--preset goes with `rebel bench model`.");
            if (shape is not null) foreach (var line in ModelBench.RunPreset(shape, trainSteps: timed)) Emit(line);
            else if (choice is "model" or "all") foreach (var line in ModelBench.Run()) Emit(line);
            if (!asJson) Terminal.Out.Write(Table(lines));
            return 0;
        });
        return cmd;
    }

    /// <summary>{"bench": name, figure: value, …} with doubles rounded to the figures' decimals.</summary>
    internal static JsonObject Json(BenchFigures figures)
    {
        var o = new JsonObject { ["bench"] = figures.Bench };
        foreach (var (name, value) in figures.Figures)
        {
            o[name] = value switch
            {
                double d => JsonValue.Create(Math.Round(d, figures.Digits)),
                int i => JsonValue.Create(i),
                long l => JsonValue.Create(l),
                bool b => JsonValue.Create(b),
                string text => JsonValue.Create(text),
                _ => throw new ArgumentException($"bench {figures.Bench}: figure {name} has an unsupported type {value.GetType().Name}."),
            };
        }
        return o;
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
