// Loading a Hugging Face model folder for the commands: weights, tokenizer, EOS ids and the chat template for "messages" prompts.
using System.CommandLine;
using Rebel.Models;
using Rebel.Models.Pretrained;
using Rebel.Models.Sampling;
using Rebel.Models.Tokenization;
using Rebel.Training.Data;

namespace Rebel.Cli.Commands;

/// <summary>A model and its tokenizer, as read from one folder.</summary>
internal sealed record ModelFolder(string Directory, LanguageModel Model, BpeTokenizer Tokenizer)
{
    /// <summary>
    /// Reads config.json, the weights and tokenizer.json of <paramref name="directory"/>; with <paramref name="frozenBf16"/> the
    /// weight matrices are read straight into bf16 and frozen (a LoRA base with --lora-base-dtype bf16).
    /// </summary>
    public static ModelFolder Load(string directory, bool frozenBf16 = false)
    {
        var tokenizer = LoadTokenizer(directory);
        return new ModelFolder(directory, HfModelLoader.Load(directory, frozenBf16), tokenizer);
    }

    /// <summary>Reads only the tokenizer files of <paramref name="directory"/>.</summary>
    public static BpeTokenizer LoadTokenizer(string directory)
    {
        RequireDirectory(directory);
        return BpeTokenizer.LoadFolder(directory);
    }

    /// <summary>Reads only config.json and the weights of <paramref name="directory"/> (no tokenizer files needed).</summary>
    public static LanguageModel LoadModel(string directory)
    {
        RequireDirectory(directory);
        return HfModelLoader.Load(directory);
    }

    /// <summary>True when <paramref name="directory"/> holds a tokenizer.json.</summary>
    public static bool HasTokenizer(string directory) => File.Exists(Path.Combine(directory, BpeTokenizer.FileName));

    private static void RequireDirectory(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"Model folder '{directory}' does not exist.");
    }

    /// <summary>The ids that end a completion: the model's (generation_config.json), else the tokenizer's EOS.</summary>
    public int[] EosIds => EosTokens.Of(Model.Config, Tokenizer);

    /// <summary>
    /// The chat template for conversational records: <paramref name="templateName"/> (--chat-template: chatml, llama3 or a
    /// .jinja file) or, when null, the model's own (chat_template.jinja or tokenizer_config.json); null when there is none
    /// (then conversational records are reported as errors).
    /// </summary>
    public ChatTemplate? Template(string? templateName) => ChatTemplate.ForFolder(Directory, templateName);

    /// <summary>The --chat-template option every command that renders conversations takes.</summary>
    public static Option<string?> ChatTemplateOption() => new("--chat-template")
    {
        Description = "Chat template for conversational records (lists of messages): chatml, llama3 or a .jinja file " +
            "(default: the model's chat_template.jinja, else tokenizer_config.json's chat_template).",
    };

    /// <summary>The prompt records of <paramref name="path"/>.</summary>
    public IReadOnlyList<PromptRecord> LoadPrompts(string path, string? templateName) => PromptDataset.Load(path, Template(templateName));
}
