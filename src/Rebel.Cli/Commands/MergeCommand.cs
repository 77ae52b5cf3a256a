// `rebel merge`: folds a PEFT LoRA adapter into its base model and writes the merged Hugging Face folder.
using System.CommandLine;
using Rebel.Models.Pretrained;
using Spectre.Console;

namespace Rebel.Cli.Commands;

/// <summary>Builds the merge command.</summary>
internal static class MergeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The base Hugging Face model folder the adapter was trained on.", Required = true };
        var adapter = new Option<string>("--adapter") { Description = "PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors).", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for the merged model (config.json, model.safetensors, tokenizer files).", Required = true };
        var cmd = new Command("merge", "Merge a LoRA adapter into its base model (W += alpha/r · B·A) and write a Hugging Face model folder.") { model, adapter, output };
        cmd.SetGuardedAction(parse =>
        {
            var folder = ModelFolder.Load(parse.GetValue(model)!);
            string adapterDir = parse.GetValue(adapter)!;
            LoraFlags.ApplyAdapter(folder.Model, adapterDir);
            string outDir = parse.GetValue(output)!;
            HfModelSaver.Save(folder.Model, outDir, tokenizer: folder.Tokenizer);
            Terminal.Out.MarkupLine($"Wrote [green]{Markup.Escape(Path.GetFullPath(outDir))}[/] ({Markup.Escape(folder.Directory)} + {Markup.Escape(adapterDir)}, merged).");
            return 0;
        });
        return cmd;
    }
}
