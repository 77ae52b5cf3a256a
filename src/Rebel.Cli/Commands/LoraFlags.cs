// The LoRA flags of the training commands (--lora-r, --lora-alpha, --lora-dropout, --lora-targets; defaults PEFT's), the
// --adapter flag of the inference commands, and where a LoRA run writes its adapter.
using System.CommandLine;
using Rebel.Models;
using Rebel.Models.Lora;
using Rebel.Tensors;

namespace Rebel.Cli.Commands;

/// <summary>The --lora-* options; LoRA is on when any of them is given.</summary>
internal sealed class LoraFlags
{
    private static readonly LoraOptions D = new();

    public Option<int?> Rank { get; } = new("--lora-r") { Description = $"LoRA: train rank-r adapters instead of every weight (default r {D.Rank}, PEFT's; any --lora-* flag turns LoRA on)." };
    public Option<float?> Alpha { get; } = new("--lora-alpha") { Description = $"LoRA: alpha; the update is scaled by alpha / r (default {D.Alpha}, PEFT's)." };
    public Option<float?> Dropout { get; } = new("--lora-dropout") { Description = $"LoRA: dropout on the adapters' input while training (default {D.Dropout}, PEFT's)." };
    public Option<string?> Targets { get; } = new("--lora-targets")
    {
        Description = "LoRA: comma-separated module names to adapt, matched as PEFT matches them (a module path equal to or ending in .NAME); " +
            "default PEFT's per model type: c_attn (gpt2), query_key_value (gpt_neox), qkv_proj (phi3), q_proj,v_proj (llama, mistral, qwen2, qwen3, gemma2).",
    };

    public Option<string?> BaseDtype { get; } = new("--lora-base-dtype")
    {
        Description = "LoRA: hold the frozen base's weight matrices in f32 or bf16 (half the memory; widened to f32 inside each product; default f32).",
    };

    public IEnumerable<Option> All => [Rank, Alpha, Dropout, Targets, BaseDtype];

    /// <summary>True when LoRA is on with --lora-base-dtype bf16: the base can then be loaded into bf16 directly.</summary>
    public bool BaseInBf16(ParseResult parse) => parse.GetValue(BaseDtype)?.ToLowerInvariant() is "bf16" or "bfloat16";

    /// <summary>Attaches adapters to <paramref name="model"/> when a --lora-* flag was given (A drawn from <paramref name="seed"/>); true when it did.</summary>
    public bool Attach(ParseResult parse, LanguageModel model, ulong seed)
    {
        if (All.All(o => parse.GetResult(o) is null)) return false;
        switch (parse.GetValue(BaseDtype)?.ToLowerInvariant())
        {
            case null or "f32" or "float32": break;
            case "bf16" or "bfloat16": model.FreezeToBf16(); break;
            case var other: throw new ArgumentException($"--lora-base-dtype: '{other}' is neither f32 nor bf16.");
        }
        model.AddLora(new LoraOptions
        {
            Rank = parse.GetValue(Rank) ?? D.Rank,
            Alpha = parse.GetValue(Alpha) ?? D.Alpha,
            Dropout = parse.GetValue(Dropout) ?? D.Dropout,
            Targets = parse.GetValue(Targets)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
        }, new Rng(seed));
        return true;
    }

    /// <summary>The --adapter option of sample, eval and score.</summary>
    public static Option<string?> AdapterOption() => new("--adapter")
    {
        Description = "A PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors) to apply to --model (merged into its weights in memory).",
    };

    /// <summary>Reads the adapter folder <paramref name="directory"/> (when given) into <paramref name="model"/> and merges it into the weights.</summary>
    public static void ApplyAdapter(LanguageModel model, string? directory)
    {
        if (directory is null) return;
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Adapter folder '{directory}' does not exist.");
        PeftAdapter.Load(model, directory);
        model.MergeLora();
    }

    /// <summary>
    /// Writes the trained model into <paramref name="outDir"/>: with LoRA the PEFT adapter folder adapter/, else the Hugging Face
    /// folder model/ (and, when given, <paramref name="formerName"/>/ as a link to it: the name earlier versions wrote); returns the folder's name.
    /// </summary>
    public static string SavePolicy(ModelFolder folder, string outDir, string? formerName = null)
    {
        string name = folder.Model.Lora is null ? CommonFlags.ModelFolderName : AdapterFolder;
        Export(folder, Path.Combine(outDir, name));
        if (formerName is not null && folder.Model.Lora is null) CommonFlags.LinkFormerName(outDir, formerName);
        return name;
    }

    /// <summary>Writes the policy to <paramref name="directory"/>: the PEFT adapter with LoRA, else the whole Hugging Face folder.</summary>
    public static void Export(ModelFolder folder, string directory)
    {
        if (folder.Model.Lora is null) Models.Pretrained.HfModelSaver.Save(folder.Model, directory, tokenizer: folder.Tokenizer);
        else PeftAdapter.Save(folder.Model, directory, Path.GetFullPath(folder.Directory));
    }

    /// <summary>The name of the adapter folder a LoRA run writes (in --out, and in each checkpoint as the exported policy).</summary>
    public const string AdapterFolder = "adapter";
}
