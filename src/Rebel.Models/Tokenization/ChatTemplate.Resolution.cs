// ChatTemplate.Resolution: which template a model folder renders with: a --chat-template option (a built-in name or a
// .jinja file), else chat_template.jinja beside the tokenizer, else tokenizer_config.json's chat_template.
namespace Rebel.Models.Tokenization;

public sealed partial record ChatTemplate
{
    /// <summary>The conventional file name newer transformers versions save the template under.</summary>
    public const string JinjaFileName = "chat_template.jinja";

    /// <summary>The built-in template named "chatml"/"qwen"/"qwen2"... or "llama3"/"llama-3"... (case-insensitive).</summary>
    public static ChatTemplate FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return TryFromName(name) ?? throw new ArgumentException($"Unknown chat template \"{name}\"; use \"chatml\", \"llama3\" or a .jinja file.", nameof(name));
    }

    /// <summary>
    /// The template for the model folder <paramref name="directory"/>. <paramref name="option"/> (the --chat-template
    /// value) wins: a built-in name or the path of a Jinja file. Without it: chat_template.jinja in the folder (transformers
    /// gives that file priority over the config entry), else tokenizer_config.json's chat_template (a string, or the
    /// "default" of a named list). The folder's tokenizer_config.json supplies the special tokens in every case.
    /// Null when there is no template.
    /// </summary>
    public static ChatTemplate? ForFolder(string directory, string? option = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var (config, templateSource) = TokenizerConfig.ReadFolder(directory);
        ChatTemplate? chosen = option is not null
            ? TryFromName(option) ?? (File.Exists(option) ? FromFile(option)
                : throw new FileNotFoundException($"--chat-template '{option}' is neither a built-in name (chatml, llama3) nor an existing .jinja file.", option))
            : templateSource is not null ? FromJinja(config!.ChatTemplate!, null, null, templateSource)
            : null;
        if (chosen is null || config is null) return chosen;
        return chosen with { BosToken = config.BosToken, EosToken = config.EosToken, PadToken = config.PadToken, UnkToken = config.UnkToken };
    }

    /// <summary>Compiles the Jinja template in the file <paramref name="path"/>.</summary>
    public static ChatTemplate FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromJinja(File.ReadAllText(path), null, null, path);
    }

    private static ChatTemplate? TryFromName(string name) =>
        name.ToLowerInvariant().Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal) switch
        {
            "chatml" or "qwen" or "qwen2" or "qwen25" or "qwen3" or "smollm" => ChatMl,
            "llama3" or "llama31" or "llama32" => Llama3,
            _ => null,
        };
}
