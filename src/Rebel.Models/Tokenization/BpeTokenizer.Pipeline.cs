// BpeTokenizer, reading tokenizer.json: vocabulary, merges, added tokens, normalizer, pre-tokenizer and post-processor.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Rebel.Models.Tokenization;

public sealed partial class BpeTokenizer
{
    /// <summary>How a Split pre-tokenizer treats its matches (Hugging Face's SplitDelimiterBehavior).</summary>
    private enum SplitBehavior
    {
        Isolated,
        Removed,
        MergedWithPrevious,
        MergedWithNext,
        Contiguous,
    }

    private abstract record PreTokenizerStep;

    private sealed record SplitStep(Regex Pattern, SplitBehavior Behavior, bool Invert) : PreTokenizerStep;

    private sealed record ByteLevelStep(bool AddPrefixSpace, Regex? Pattern) : PreTokenizerStep;

    /// <summary>A template item: fixed special-token ids, or (Ids null) the encoded sequence.</summary>
    private sealed record TemplateItem(int[]? Ids);

    private static readonly Lazy<Regex> Gpt2Regex = new(() => PreTokenizerRegex.Create(PreTokenizerRegex.Gpt2Pattern));

    private Dictionary<string, int> ReadVocab(JsonObject model)
    {
        if (model["vocab"] is not JsonObject v) throw Bad("missing object \"model.vocab\"");
        var result = new Dictionary<string, int>(v.Count, StringComparer.Ordinal);
        foreach (var (token, idNode) in v)
        {
            if (idNode is not JsonValue value || !value.TryGetValue(out int id) || id < 0)
                throw Bad($"model.vocab entry \"{token}\" is not a non-negative integer id");
            result[token] = id;
        }
        return result;
    }

    private List<AddedToken> ReadAddedTokens()
    {
        var result = new List<AddedToken>();
        if (json["added_tokens"] is not JsonArray list) return result;
        foreach (var node in list)
        {
            if (node is not JsonObject o || o["content"] is not JsonValue content || o["id"] is not JsonValue id)
                throw Bad("added_tokens entries need \"id\" and \"content\"");
            string text = content.GetValue<string>();
            if (text.Length == 0) throw Bad($"added token {id.ToJsonString()} has empty content");
            result.Add(new AddedToken(
                id.GetValue<int>(),
                text,
                Flag(o, "special"),
                Flag(o, "lstrip"),
                Flag(o, "rstrip"),
                Flag(o, "normalized"),
                Flag(o, "single_word")));
        }
        return result;
    }

    private static bool Flag(JsonObject o, string key) => o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    private Dictionary<long, (int Rank, int Merged)> ReadMerges(JsonObject model)
    {
        var result = new Dictionary<long, (int, int)>();
        if (model["merges"] is not JsonArray list) return result;
        for (int rank = 0; rank < list.Count; rank++)
        {
            string left, right;
            switch (list[rank])
            {
                case JsonValue s when s.GetValueKind() == JsonValueKind.String:
                    string text = s.GetValue<string>();
                    int space = text.IndexOf(' ', 1);
                    if (space < 0 || text.IndexOf(' ', space + 1) >= 0) throw Bad($"merge {rank} \"{text}\" is not \"left right\"");
                    (left, right) = (text[..space], text[(space + 1)..]);
                    break;
                case JsonArray { Count: 2 } pair:
                    (left, right) = (pair[0]!.GetValue<string>(), pair[1]!.GetValue<string>());
                    break;
                default:
                    throw Bad($"merge {rank} is neither \"left right\" nor [\"left\", \"right\"]");
            }
            if (!vocab.TryGetValue(left, out int a) || !vocab.TryGetValue(right, out int b))
                throw Bad($"merge {rank} (\"{left}\", \"{right}\") uses a token missing from the vocabulary");
            if (!vocab.TryGetValue(left + right, out int merged))
                throw Bad($"merge {rank} (\"{left}\", \"{right}\") produces \"{left + right}\", which is missing from the vocabulary");
            result.TryAdd(PairKey(a, b), (rank, merged));
        }
        return result;
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    private (NormalizationForm?, bool Lowercase) ReadNormalizer(JsonNode? node)
    {
        NormalizationForm? form = null;
        bool lower = false;
        void Visit(JsonNode? n)
        {
            if (n is null) return;
            string type = TypeOf(n, "normalizer");
            switch (type)
            {
                case "NFC": form = NormalizationForm.FormC; break;
                case "NFD": form = NormalizationForm.FormD; break;
                case "NFKC": form = NormalizationForm.FormKC; break;
                case "NFKD": form = NormalizationForm.FormKD; break;
                case "Lowercase": lower = true; break;
                case "Sequence":
                    foreach (var child in n["normalizers"] as JsonArray ?? []) Visit(child);
                    break;
                default: throw new NotSupportedException($"{Source}: normalizer \"{type}\" is not supported.");
            }
        }
        Visit(node);
        return (form, lower);
    }

    private List<PreTokenizerStep> ReadPreTokenizer(JsonNode? node)
    {
        var steps = new List<PreTokenizerStep>();
        bool byteLevel = false;
        void Visit(JsonNode? n)
        {
            if (n is null) return;
            string type = TypeOf(n, "pre_tokenizer");
            switch (type)
            {
                case "Sequence":
                    foreach (var child in n["pretokenizers"] as JsonArray ?? []) Visit(child);
                    break;
                case "ByteLevel":
                    byteLevel = true;
                    bool useRegex = n["use_regex"] is not JsonValue u || u.GetValueKind() != JsonValueKind.False;
                    steps.Add(new ByteLevelStep(Flag((JsonObject)n, "add_prefix_space"), useRegex ? Gpt2Regex.Value : null));
                    break;
                case "Split":
                    steps.Add(ReadSplit((JsonObject)n));
                    break;
                case "Digits":
                    steps.Add(new SplitStep(new Regex(Flag((JsonObject)n, "individual_digits") ? @"\p{N}" : @"\p{N}+", RegexOptions.CultureInvariant), SplitBehavior.Isolated, false));
                    break;
                default:
                    throw new NotSupportedException($"{Source}: pre_tokenizer \"{type}\" is not supported (byte-level BPE uses ByteLevel, Split, Digits, Sequence).");
            }
        }
        Visit(node);
        if (!byteLevel) throw new NotSupportedException($"{Source}: no ByteLevel pre-tokenizer; only byte-level BPE tokenizers are supported.");
        return steps;
    }

    private SplitStep ReadSplit(JsonObject n)
    {
        Regex pattern = n["pattern"] switch
        {
            JsonObject p when p["Regex"] is JsonValue r => PreTokenizerRegex.Create(r.GetValue<string>()),
            JsonObject p when p["String"] is JsonValue s => new Regex(Regex.Escape(s.GetValue<string>()), RegexOptions.CultureInvariant),
            _ => throw Bad("Split pre-tokenizer needs a pattern {\"Regex\": ...} or {\"String\": ...}"),
        };
        string behaviorName = n["behavior"]?.GetValue<string>() ?? "Isolated";
        if (!Enum.TryParse(behaviorName, out SplitBehavior behavior)) throw new NotSupportedException($"{Source}: Split behavior \"{behaviorName}\" is not supported.");
        return new SplitStep(pattern, behavior, Flag(n, "invert"));
    }

    private List<TemplateItem>? ReadPostProcessor(JsonNode? node)
    {
        List<TemplateItem>? result = null;
        void Visit(JsonNode? n)
        {
            if (n is null) return;
            string type = TypeOf(n, "post_processor");
            switch (type)
            {
                case "ByteLevel":
                    break;
                case "Sequence":
                    foreach (var child in n["processors"] as JsonArray ?? []) Visit(child);
                    break;
                case "TemplateProcessing":
                    result = ReadTemplate((JsonObject)n);
                    break;
                default:
                    throw new NotSupportedException($"{Source}: post_processor \"{type}\" is not supported (ByteLevel, TemplateProcessing, Sequence).");
            }
        }
        Visit(node);
        return result;
    }

    private List<TemplateItem> ReadTemplate(JsonObject n)
    {
        var specials = n["special_tokens"] as JsonObject;
        var items = new List<TemplateItem>();
        foreach (var piece in n["single"] as JsonArray ?? throw Bad("TemplateProcessing needs \"single\""))
        {
            if (piece?["Sequence"] is not null)
            {
                items.Add(new TemplateItem(null));
            }
            else if (piece?["SpecialToken"]?["id"] is JsonValue idNode)
            {
                string name = idNode.GetValue<string>();
                int[] ids = specials?[name]?["ids"] is JsonArray list
                    ? list.Select(x => x!.GetValue<int>()).ToArray()
                    : TokenToId(name) is int known ? [known] : throw Bad($"TemplateProcessing special token \"{name}\" has no id");
                items.Add(new TemplateItem(ids));
            }
            else
            {
                throw Bad($"TemplateProcessing item {piece?.ToJsonString()} is neither a Sequence nor a SpecialToken");
            }
        }
        return items;
    }

    private string TypeOf(JsonNode n, string what) =>
        n is JsonObject o && o["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : throw Bad($"{what} without a \"type\"");
}
