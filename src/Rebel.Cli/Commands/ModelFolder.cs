// Loading a Hugging Face model folder for the commands: weights, tokenizer, EOS ids and the chat template for "messages" prompts.
using System.Text.Json.Nodes;
using Rebel.Models;
using Rebel.Models.Pretrained;
using Rebel.Models.Tokenization;
using Rebel.Training.Data;

namespace Rebel.Cli.Commands;

/// <summary>A model and its tokenizer, as read from one folder.</summary>
internal sealed record ModelFolder(string Directory, LanguageModel Model, BpeTokenizer Tokenizer)
{
    /// <summary>Reads config.json, the weights and tokenizer.json of <paramref name="directory"/>.</summary>
    public static ModelFolder Load(string directory)
    {
        var tokenizer = LoadTokenizer(directory);
        return new ModelFolder(directory, HfModelLoader.Load(directory), tokenizer);
    }

    /// <summary>Reads only the tokenizer files of <paramref name="directory"/>.</summary>
    public static BpeTokenizer LoadTokenizer(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"Model folder '{directory}' does not exist.");
        return BpeTokenizer.LoadFolder(directory);
    }

    /// <summary>The ids that end a completion: the model's (generation_config.json), else the tokenizer's EOS.</summary>
    public int[] EosIds => Model.Config.EosTokenIds.Length > 0 ? Model.Config.EosTokenIds
        : Tokenizer.EosTokenId is { } eos ? [eos] : [];

    /// <summary>
    /// Renders "messages" records with the template <paramref name="templateName"/> (--chat-template: chatml, llama3 or a .jinja
    /// file) or, when null, the model's own (chat_template.jinja or tokenizer_config.json); null when there is none (then
    /// "messages" records are reported as errors).
    /// </summary>
    public Func<JsonArray, string>? MessageRenderer(string? templateName)
    {
        var template = ChatTemplate.ForFolder(Directory, templateName);
        return template is null ? null : messages => template.RenderJson(messages);
    }

    /// <summary>The prompt records of <paramref name="path"/>.</summary>
    public IReadOnlyList<PromptRecord> LoadPrompts(string path, string? templateName) => PromptDataset.Load(path, MessageRenderer(templateName));
}
