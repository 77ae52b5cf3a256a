// TokenizerConfig: the fields of tokenizer_config.json that encoding, generation and chat formatting need.
using System.Text.Json.Nodes;
using Rebel.Models.IO;

namespace Rebel.Models.Tokenization;

/// <summary>tokenizer_config.json: special token strings, the chat template, and BOS/EOS flags.</summary>
public sealed record TokenizerConfig
{
    /// <summary>The conventional file name.</summary>
    public const string FileName = "tokenizer_config.json";

    /// <summary>Beginning-of-sequence token text, e.g. "&lt;|begin_of_text|&gt;".</summary>
    public string? BosToken { get; init; }

    /// <summary>End-of-sequence token text, e.g. "&lt;|im_end|&gt;".</summary>
    public string? EosToken { get; init; }

    /// <summary>Padding token text.</summary>
    public string? PadToken { get; init; }

    /// <summary>Unknown token text.</summary>
    public string? UnkToken { get; init; }

    /// <summary>The Jinja chat template (the "default" one when the file holds a named list).</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>"add_bos_token", when present.</summary>
    public bool? AddBosToken { get; init; }

    /// <summary>"add_eos_token", when present.</summary>
    public bool? AddEosToken { get; init; }

    /// <summary>"model_max_length", clamped to int range (files often hold 1e30 for "unlimited").</summary>
    public int? ModelMaxLength { get; init; }

    /// <summary>"tokenizer_class", e.g. "PreTrainedTokenizerFast".</summary>
    public string? TokenizerClass { get; init; }

    /// <summary>Reads a tokenizer_config.json file.</summary>
    public static TokenizerConfig Load(string path) => FromConfig(HfConfig.Load(path));

    /// <summary>
    /// The tokenizer configuration of a model folder: tokenizer_config.json, with the chat template of chat_template.jinja
    /// when that file exists (transformers gives it priority over the config's entry); null when the folder has neither.
    /// <c>TemplateSource</c> names where the template came from, for error messages.
    /// </summary>
    internal static (TokenizerConfig? Config, string? TemplateSource) ReadFolder(string directory)
    {
        string configPath = Path.Combine(directory, FileName), jinjaPath = Path.Combine(directory, Tokenization.ChatTemplate.JinjaFileName);
        var config = File.Exists(configPath) ? Load(configPath) : null;
        if (File.Exists(jinjaPath)) return ((config ?? new TokenizerConfig()) with { ChatTemplate = File.ReadAllText(jinjaPath) }, jinjaPath);
        return (config, string.IsNullOrEmpty(config?.ChatTemplate) ? null : configPath + " (chat_template)");
    }

    /// <summary>Reads the fields from a parsed config object. Tokens may be strings or {"content": ...} objects.</summary>
    public static TokenizerConfig FromConfig(HfConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new TokenizerConfig
        {
            BosToken = TokenText(config, "bos_token"),
            EosToken = TokenText(config, "eos_token"),
            PadToken = TokenText(config, "pad_token"),
            UnkToken = TokenText(config, "unk_token"),
            ChatTemplate = Template(config),
            AddBosToken = config.Has("add_bos_token") ? config.GetBool("add_bos_token") : null,
            AddEosToken = config.Has("add_eos_token") ? config.GetBool("add_eos_token") : null,
            ModelMaxLength = config.Has("model_max_length") ? (int)Math.Min(int.MaxValue, config.GetDouble("model_max_length")) : null,
            TokenizerClass = config.GetString("tokenizer_class", null),
        };
    }

    /// <summary>The fields as a config object (tokens written as plain strings).</summary>
    public HfConfig ToConfig()
    {
        var c = new HfConfig();
        c.Set("bos_token", BosToken);
        c.Set("eos_token", EosToken);
        c.Set("pad_token", PadToken);
        c.Set("unk_token", UnkToken);
        c.Set("chat_template", ChatTemplate);
        c.Set("add_bos_token", AddBosToken);
        c.Set("add_eos_token", AddEosToken);
        c.Set("model_max_length", ModelMaxLength);
        c.Set("tokenizer_class", TokenizerClass ?? "PreTrainedTokenizerFast");
        c.Set("clean_up_tokenization_spaces", false);
        return c;
    }

    /// <summary>Writes tokenizer_config.json (atomically).</summary>
    public void Save(string path) => ToConfig().Save(path);

    private static string? TokenText(HfConfig config, string key) => config[key] switch
    {
        null => null,
        JsonObject => config.GetObject(key)!.GetString("content"),
        _ => config.GetString(key),
    };

    private static string? Template(HfConfig config)
    {
        if (config["chat_template"] is not JsonArray list) return config.GetString("chat_template", null);
        string? first = null;
        foreach (var item in list)
        {
            if (item is not JsonObject o) continue;
            var entry = new HfConfig(o, config.Source);
            string template = entry.GetString("template");
            if (entry.GetString("name", null) == "default") return template;
            first ??= template;
        }
        return first;
    }
}
