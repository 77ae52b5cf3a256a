// `rebel init`: a random-weight Hugging Face model folder of a real checkpoint's exact shape, made here with no download,
// for tests and benchmarks at real sizes.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Rebel.Models;
using Rebel.Models.IO;
using Rebel.Models.Pretrained;
using Rebel.Models.Tokenization;
using Rebel.Tensors;

namespace Rebel.Cli.Commands;

/// <summary>Builds the init command.</summary>
internal static class InitCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Checkpoint shape: {string.Join(", ", ModelConfig.CheckpointPresetNames)}.", Required = true };
        preset.AcceptOnlyFromAmong([.. ModelConfig.CheckpointPresetNames]);
        var output = new Option<string>("--out") { Description = "Folder to write (replaced if it exists).", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the random weights.", DefaultValueFactory = _ => 0 };
        var dtype = new Option<string>("--dtype") { Description = "Weight type in model.safetensors: f32 or bf16.", DefaultValueFactory = _ => "f32" };
        dtype.AcceptOnlyFromAmong("f32", "bf16");
        var cmd = new Command("init",
            "Write a random-weight Hugging Face model folder (config.json, generation_config.json, model.safetensors, and a synthetic " +
            "byte-level BPE tokenizer.json of the preset's vocabulary size) of a real checkpoint's exact shape. Downloads nothing.")
        {
            preset, output, seed, dtype,
        };
        cmd.SetGuardedAction(parse =>
        {
            string name = parse.GetValue(preset)!, dir = parse.GetValue(output)!;
            var type = parse.GetValue(dtype) == "bf16" ? SafetensorsDtype.BF16 : SafetensorsDtype.F32;
            var config = ModelConfig.Preset(name);
            int eos = config.EosTokenIds[0];
            var watch = Stopwatch.StartNew();
            void Say(string what) => Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[init {name} {watch.Elapsed.TotalSeconds,6:F1}s] {what}"));
            Say($"tokenizer: synthetic byte-level BPE, {config.VocabSize} tokens, <|endoftext|> at id {eos}");
            var tokenizer = BpeTrainer.Synthetic(config.VocabSize, eos);
            Say($"weights: {config.Architecture}, {config.Layers} layers, width {config.HiddenSize}, random (seed {parse.GetValue(seed)})");
            var model = ModelFactory.Create(config with { PadTokenId = eos }, new Rng(parse.GetValue(seed)));
            double gigabytes = model.ParameterCount * (type == SafetensorsDtype.BF16 ? 2.0 : 4.0) / 1e9;
            Say($"writing {model.ParameterCount:N0} parameters ({gigabytes:F2} GB as {parse.GetValue(dtype)}) to {dir}");
            HfModelSaver.Save(model, dir, type, tokenizer: tokenizer);
            Say("done");
            return 0;
        });
        return cmd;
    }
}
