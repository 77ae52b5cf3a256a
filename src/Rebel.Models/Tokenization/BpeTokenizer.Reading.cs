// BpeTokenizer, reading tokenizer.json's BPE model: vocabulary, merges, added tokens and the model's options
// (unk_token, fuse_unk, byte_fallback, ignore_merges, continuing_subword_prefix, end_of_word_suffix, dropout).
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rebel.Models.Tokenization;

public sealed partial class BpeTokenizer
{
    /// <summary>
    /// The BPE model's options. <paramref name="ByteFallback"/>: the ids of "&lt;0x00&gt;".."&lt;0xFF&gt;", when byte_fallback is
    /// on and all 256 exist. Empty prefix/suffix strings count as none.
    /// </summary>
    private sealed record BpeOptions(int? UnkId, bool FuseUnk, int[]? ByteFallback, bool IgnoreMerges, string? Prefix, string? Suffix);

    private static Dictionary<string, int> ReadVocab(JsonObject model, TokenizerJsonReader reader)
    {
        if (model["vocab"] is not JsonObject v) throw reader.Bad("missing object \"model.vocab\" (a BPE vocabulary maps token to id)");
        var result = new Dictionary<string, int>(v.Count, StringComparer.Ordinal);
        foreach (var (token, idNode) in v)
        {
            if (idNode is not JsonValue value || !value.TryGetValue(out int id) || id < 0)
                throw reader.Bad($"model.vocab entry \"{token}\" is not a non-negative integer id");
            result[token] = id;
        }
        return result;
    }

    private List<AddedToken> ReadAddedTokens(TokenizerJsonReader reader)
    {
        var result = new List<AddedToken>();
        if (json["added_tokens"] is not JsonArray list) return result;
        foreach (var node in list)
        {
            if (node is not JsonObject o || TokenizerJsonReader.String(o, "content") is not { } text || o["id"] is not JsonValue id)
                throw reader.Bad("added_tokens entries need \"id\" and \"content\"");
            if (text.Length == 0) throw reader.Bad($"added token {id.ToJsonString()} has empty content");
            bool special = TokenizerJsonReader.Flag(o, "special");
            result.Add(new AddedToken(
                id.GetValue<int>(),
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
            for (int b = 0; b < 256 && byteIds is not null; b++)
            {
                if (vocab.TryGetValue($"<0x{b:X2}>", out int id)) byteIds[b] = id;
                else byteIds = null;
            }
        }
        string? prefix = TokenizerJsonReader.String(model, "continuing_subword_prefix");
        string? suffix = TokenizerJsonReader.String(model, "end_of_word_suffix");
        return new BpeOptions(unkId, TokenizerJsonReader.Flag(model, "fuse_unk"), byteIds, TokenizerJsonReader.Flag(model, "ignore_merges"),
            string.IsNullOrEmpty(prefix) ? null : prefix, string.IsNullOrEmpty(suffix) ? null : suffix);
    }

    private Dictionary<long, (int Rank, int Merged)> ReadMerges(JsonObject model, TokenizerJsonReader reader)
    {
        if (model["merges"] is not JsonArray list) return [];
        var result = new Dictionary<long, (int, int)>(list.Count);
        var lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> buffer = stackalloc char[256];
        for (int rank = 0; rank < list.Count; rank++)
        {
            string left, right;
            switch (list[rank])
            {
                case JsonValue s when s.GetValueKind() == JsonValueKind.String:
                    string text = s.GetValue<string>();
                    int space = text.IndexOf(' ', 1);
                    if (space < 0 || text.IndexOf(' ', space + 1) >= 0) throw reader.Bad($"merge {rank} \"{text}\" is not \"left right\"");
                    (left, right) = (text[..space], text[(space + 1)..]);
                    break;
                case JsonArray { Count: 2 } pair when pair[0] is JsonValue l && pair[1] is JsonValue r:
                    (left, right) = (l.GetValue<string>(), r.GetValue<string>());
                    break;
                default:
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
        }
        return result;
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;
}
