// BpeTokenizer, reading tokenizer.json's BPE model: vocabulary, merges, added tokens and the model's options
// (unk_token, fuse_unk, byte_fallback, ignore_merges, continuing_subword_prefix, end_of_word_suffix, dropout).
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rebel.Models.Tokenization;

public sealed partial class BpeTokenizer
{
    /// <summary>
    /// The BPE model's options. <paramref name="ByteFallback"/>: the ids of "&lt;0x00&gt;".."&lt;0xFF&gt;" (−1 for those the vocabulary
    /// lacks) when byte_fallback is on. Empty prefix/suffix strings count as none.
    /// </summary>
    private sealed record BpeOptions(int? UnkId, bool FuseUnk, int[]? ByteFallback, bool IgnoreMerges, string? Prefix, string? Suffix);

    /// <summary>A small component (normalizer, decoder, ...) as a JsonNode; null when absent or JSON null.</summary>
    private static JsonNode? Component(JsonElement root, string name) =>
        root.TryGetProperty(name, out var e) && e.ValueKind != JsonValueKind.Null ? JsonNode.Parse(e.GetRawText()) : null;

    /// <summary>The model's members other than the (large) vocabulary and merges.</summary>
    private static JsonObject ModelOptions(JsonElement model)
    {
        var result = new JsonObject();
        foreach (var p in model.EnumerateObject())
        {
            if (p.NameEquals("vocab") || p.NameEquals("merges")) continue;
            result[p.Name] = JsonNode.Parse(p.Value.GetRawText());
        }
        return result;
    }

    private static Dictionary<string, int> ReadVocab(JsonElement model, TokenizerJsonReader reader)
    {
        if (!model.TryGetProperty("vocab", out var v) || v.ValueKind != JsonValueKind.Object)
            throw reader.Bad("missing object \"model.vocab\" (a BPE vocabulary maps token to id)");
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in v.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id) || id < 0)
                throw reader.Bad($"model.vocab entry \"{p.Name}\" is not a non-negative integer id");
            result[p.Name] = id;
        }
        return result;
    }

    private static List<AddedToken> ReadAddedTokens(JsonNode? node, TokenizerJsonReader reader)
    {
        var result = new List<AddedToken>();
        if (node is not JsonArray list) return result;
        foreach (var entry in list)
        {
            if (entry is not JsonObject o || TokenizerJsonReader.String(o, "content") is not { } text || o["id"] is not JsonValue id
                || id.GetValueKind() != JsonValueKind.Number || !id.TryGetValue(out int tokenId) || tokenId < 0)
                throw reader.Bad($"added_tokens entries need a non-negative integer \"id\" and a string \"content\", got {entry?.ToJsonString() ?? "null"}");
            if (text.Length == 0) throw reader.Bad($"added token {id.ToJsonString()} has empty content");
            bool special = TokenizerJsonReader.Flag(o, "special");
            result.Add(new AddedToken(
                tokenId,
                text,
                special,
                TokenizerJsonReader.Flag(o, "lstrip"),
                TokenizerJsonReader.Flag(o, "rstrip"),
                TokenizerJsonReader.Flag(o, "normalized", !special),
                TokenizerJsonReader.Flag(o, "single_word")));
        }
        return result;
    }

    private BpeOptions ReadOptions(JsonObject model, TokenizerJsonReader reader)
    {
        if (model["dropout"] is JsonValue dropout && dropout.TryGetValue(out double p) && p > 0)
        {
            throw new NotSupportedException($"{reader.Source}: BPE dropout {p} is not supported: Hugging Face applies it when encoding too, "
                + "which makes ids random; set \"dropout\" to null for inference.");
        }
        int? unkId = TokenizerJsonReader.String(model, "unk_token") is { } unk && TokenToId(unk) is int u ? u : null;
        int[]? byteIds = null;
        if (TokenizerJsonReader.Flag(model, "byte_fallback"))
        {
            byteIds = new int[256];
            for (int b = 0; b < 256; b++) byteIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        }
        string? prefix = TokenizerJsonReader.String(model, "continuing_subword_prefix");
        string? suffix = TokenizerJsonReader.String(model, "end_of_word_suffix");
        return new BpeOptions(unkId, TokenizerJsonReader.Flag(model, "fuse_unk"), byteIds, TokenizerJsonReader.Flag(model, "ignore_merges"),
            string.IsNullOrEmpty(prefix) ? null : prefix, string.IsNullOrEmpty(suffix) ? null : suffix);
    }

    private Dictionary<long, (int Rank, int Merged)> ReadMerges(JsonElement model, TokenizerJsonReader reader)
    {
        if (!model.TryGetProperty("merges", out var list) || list.ValueKind != JsonValueKind.Array) return [];
        var result = new Dictionary<long, (int, int)>(list.GetArrayLength());
        var lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> buffer = stackalloc char[256];
        int rank = 0;
        foreach (var entry in list.EnumerateArray())
        {
            string left, right;
            if (entry.ValueKind == JsonValueKind.String)
            {
                string text = entry.GetString()!;
                int space = text.Length < 2 ? -1 : text.IndexOf(' ', 1);
                if (space < 0 || text.IndexOf(' ', space + 1) >= 0) throw reader.Bad($"merge {rank} \"{text}\" is not \"left right\"");
                (left, right) = (text[..space], text[(space + 1)..]);
            }
            else if (entry.ValueKind == JsonValueKind.Array && entry.GetArrayLength() == 2
                && entry[0].ValueKind == JsonValueKind.String && entry[1].ValueKind == JsonValueKind.String)
            {
                (left, right) = (entry[0].GetString()!, entry[1].GetString()!);
            }
            else
            {
                throw reader.Bad($"merge {rank} is neither \"left right\" nor [\"left\", \"right\"]");
            }
            if (!vocab.TryGetValue(left, out int a) || !vocab.TryGetValue(right, out int b))
                throw reader.Bad($"merge {rank} (\"{left}\", \"{right}\") uses a token missing from the vocabulary");
            var rightPart = options.Prefix is { } prefix && right.StartsWith(prefix, StringComparison.Ordinal) ? right.AsSpan(prefix.Length) : right.AsSpan();
            int length = left.Length + rightPart.Length;
            Span<char> joined = length <= buffer.Length ? buffer[..length] : new char[length];
            left.AsSpan().CopyTo(joined);
            rightPart.CopyTo(joined[left.Length..]);
            if (!lookup.TryGetValue(joined, out int merged))
                throw reader.Bad($"merge {rank} (\"{left}\", \"{right}\") produces \"{joined}\", which is missing from the vocabulary");
            result.TryAdd(PairKey(a, b), (rank, merged));
            rank++;
        }
        return result;
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;
}
