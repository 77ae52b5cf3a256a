// Decoders: tokenizer.json's "decoder" component, which turns the token strings of ids back into text (Hugging Face
// tokenizers' decode_chain: each decoder maps a list of strings to a list of strings; the result is their concatenation).
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Rebel.Models.Tokenization;

/// <summary>A step of tokenizer.json's "decoder".</summary>
internal abstract class TokenDecoder
{
    public const string Supported = "Sequence, ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, WordPiece, BPEDecoder";

    public abstract List<string> DecodeChain(List<string> tokens);

    /// <summary>The decoder a tokenizer.json node describes; null for JSON null.</summary>
    public static TokenDecoder? Read(JsonNode? node, TokenizerJsonReader reader)
    {
        if (node is null) return null;
        string type = reader.TypeOf(node, "decoder");
        return type switch
        {
            "Sequence" => new SequenceDecoder(reader.Children(node, "decoders", "decoder").Select(n => Read(n, reader) ?? throw reader.Bad("decoder Sequence entry is null")).ToArray()),
            "ByteLevel" => new ByteLevelDecoder(),
            "Metaspace" => new MetaspaceDecoder(reader.Char(node, "replacement", "\u2581", "Metaspace decoder"), PrependSchemes.Read(node, reader, "Metaspace decoder")),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(reader.Char(node, "content", " ", "Strip decoder"), reader.Int(node, "start", 0), reader.Int(node, "stop", 0)),
            "Replace" => new ReplaceDecoder(reader.Pattern(node, "Replace decoder"), reader.RequiredString(node, "content", "Replace decoder")),
            "WordPiece" => new WordPieceDecoder(TokenizerJsonReader.String(node, "prefix") ?? "##", TokenizerJsonReader.Flag(node, "cleanup", true)),
            "BPEDecoder" => new BpeSuffixDecoder(TokenizerJsonReader.String(node, "suffix") ?? "</w>"),
            _ => throw reader.Unsupported("decoder", type, Supported),
        };
    }
}

/// <summary>Applies its decoders in order.</summary>
internal sealed class SequenceDecoder(TokenDecoder[] decoders) : TokenDecoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        foreach (var d in decoders) tokens = d.DecodeChain(tokens);
        return tokens;
    }
}

/// <summary>Byte characters back to bytes, then UTF-8 (invalid sequences become U+FFFD); one string out.</summary>
internal sealed class ByteLevelDecoder : TokenDecoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (string t in tokens) ByteLevel.AppendBytes(t, bytes);
        return [Encoding.UTF8.GetString(bytes.ToArray())];
    }
}

/// <summary>The replacement ("▁") back to spaces; the first token loses it when the pre-tokenizer prepends one.</summary>
internal sealed class MetaspaceDecoder(string replacement, PrependScheme scheme) : TokenDecoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
            result.Add(tokens[i].Replace(replacement, i == 0 && scheme != PrependScheme.Never ? "" : " ", StringComparison.Ordinal));
        return result;
    }
}

/// <summary>Runs of "&lt;0xNN&gt;" tokens back to the UTF-8 text they spell (one U+FFFD per byte when invalid).</summary>
internal sealed class ByteFallbackDecoder : TokenDecoder
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var pending = new List<byte>();
        foreach (string t in tokens)
        {
            if (TryParseByte(t, out byte b))
            {
                pending.Add(b);
                continue;
            }
            Flush(pending, result);
            result.Add(t);
        }
        Flush(pending, result);
        return result;
    }

    /// <summary>"&lt;0xNN&gt;" with two hexadecimal digits.</summary>
    public static bool TryParseByte(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private static void Flush(List<byte> pending, List<string> result)
    {
        if (pending.Count == 0) return;
        try
        {
            result.Add(Strict.GetString(pending.ToArray()));
        }
        catch (DecoderFallbackException)
        {
            for (int i = 0; i < pending.Count; i++) result.Add("\uFFFD");
        }
        pending.Clear();
    }
}

/// <summary>Joins all tokens into one string.</summary>
internal sealed class FuseDecoder : TokenDecoder
{
    public override List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];
}

/// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing copies of a character from every token.</summary>
internal sealed class StripDecoder(string content, int start, int stop) : TokenDecoder
{
    public override List<string> DecodeChain(List<string> tokens) => tokens.Select(Strip).ToList();

    private string Strip(string token)
    {
        int from = 0, to = token.Length;
        for (int i = 0; i < start && token.AsSpan(from, to - from).StartsWith(content, StringComparison.Ordinal); i++) from += content.Length;
        for (int i = 0; i < stop && token.AsSpan(from, to - from).EndsWith(content, StringComparison.Ordinal); i++) to -= content.Length;
        return token[from..to];
    }
}

/// <summary>Replaces every match of a pattern in every token.</summary>
internal sealed class ReplaceDecoder(Regex pattern, string content) : TokenDecoder
{
    public override List<string> DecodeChain(List<string> tokens) => tokens.Select(t => pattern.Replace(t, _ => content)).ToList();
}

/// <summary>WordPiece: continuation tokens lose their prefix ("##"), the others get a leading space; optional clean-up.</summary>
internal sealed class WordPieceDecoder(string prefix, bool cleanup) : TokenDecoder
{
    private static readonly (string From, string To)[] Cleanups =
    [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"), (" do not", " don't"),
        (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ];

    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i];
            if (i > 0) t = t.StartsWith(prefix, StringComparison.Ordinal) ? t[prefix.Length..] : " " + t;
            if (cleanup)
            {
                foreach (var (from, to) in Cleanups) t = t.Replace(from, to, StringComparison.Ordinal);
            }
            result.Add(t);
        }
        return result;
    }
}

/// <summary>Classic BPE's end-of-word suffix ("&lt;/w&gt;") becomes a space, except in the last token.</summary>
internal sealed class BpeSuffixDecoder(string suffix) : TokenDecoder
{
    public override List<string> DecodeChain(List<string> tokens) =>
        tokens.Select((t, i) => t.Replace(suffix, i == tokens.Count - 1 ? "" : " ", StringComparison.Ordinal)).ToList();
}
