// PostProcessors: tokenizer.json's "post_processor" component, which adds the special tokens around an encoded sequence
// or pair (BOS/EOS, [CLS]/[SEP]) when special tokens are requested.
using System.Text.Json.Nodes;

namespace Rebel.Models.Tokenization;

/// <summary>A step of tokenizer.json's "post_processor": encoded sequences in (one or two), sequences out.</summary>
internal abstract class PostProcessor
{
    public const string Supported = "Sequence, TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing";

    /// <summary>Whether this step adds tokens at all (else tokenizer_config.json's add_bos_token/add_eos_token apply).</summary>
    public virtual bool AddsTokens => true;

    /// <summary>With special tokens requested, the sequences with them added (merged into one); else unchanged.</summary>
    public abstract List<List<int>> Process(List<List<int>> sequences);

    /// <summary>The post-processor a tokenizer.json node describes; null for JSON null.</summary>
    public static PostProcessor? Read(JsonNode? node, TokenizerJsonReader reader, Func<string, int?> idOf)
    {
        if (node is null) return null;
        string type = reader.TypeOf(node, "post_processor");
        return type switch
        {
            "Sequence" => new SequenceProcessor(reader.Children(node, "processors", "post_processor").Select(n => Read(n, reader, idOf) ?? throw reader.Bad("post_processor Sequence entry is null")).ToArray()),
            "ByteLevel" => new ByteLevelProcessor(),
            "TemplateProcessing" => TemplateProcessor.FromJson(node, reader, idOf),
            "RobertaProcessing" => ClassifierProcessor.FromJson(node, reader, roberta: true),
            "BertProcessing" => ClassifierProcessor.FromJson(node, reader, roberta: false),
            _ => throw reader.Unsupported("post_processor", type, Supported),
        };
    }
}

/// <summary>Applies its processors in order.</summary>
internal sealed class SequenceProcessor(PostProcessor[] processors) : PostProcessor
{
    public override bool AddsTokens => processors.Any(p => p.AddsTokens);

    public override List<List<int>> Process(List<List<int>> sequences)
    {
        foreach (var p in processors) sequences = p.Process(sequences);
        return sequences;
    }
}

/// <summary>Byte-level offset trimming: ids are unchanged.</summary>
internal sealed class ByteLevelProcessor : PostProcessor
{
    public override bool AddsTokens => false;

    public override List<List<int>> Process(List<List<int>> sequences) => sequences;
}

/// <summary>A template: special tokens' ids and the sequences ($A, $B) in the order "single" or "pair" lists them.</summary>
internal sealed class TemplateProcessor(List<TemplateItem> single, List<TemplateItem> pair) : PostProcessor
{
    public static TemplateProcessor FromJson(JsonNode node, TokenizerJsonReader reader, Func<string, int?> idOf)
    {
        var specials = node["special_tokens"] as JsonObject;
        List<TemplateItem> Items(string key)
        {
            var items = new List<TemplateItem>();
            foreach (var piece in node[key] as JsonArray ?? [])
            {
                if (piece?["Sequence"] is JsonNode sequence)
                {
                    string id = TokenizerJsonReader.String(sequence, "id") ?? "A";
                    items.Add(new TemplateItem(null, id == "B" ? 1 : 0));
                }
                else if (piece?["SpecialToken"] is JsonNode special && TokenizerJsonReader.String(special, "id") is { } name)
                {
                    int[] ids = specials?[name]?["ids"] is JsonArray list ? list.Select(x => x!.GetValue<int>()).ToArray()
                        : idOf(name) is int known ? [known]
                        : throw reader.Bad($"TemplateProcessing special token \"{name}\" has no id");
                    items.Add(new TemplateItem(ids, 0));
                }
                else
                {
                    throw reader.Bad($"TemplateProcessing item {piece?.ToJsonString()} is neither a Sequence nor a SpecialToken");
                }
            }
            return items;
        }
        return new TemplateProcessor(Items("single"), Items("pair"));
    }

    public override List<List<int>> Process(List<List<int>> sequences)
    {
        if (sequences.Count > 1 && pair.Count == 0) throw new InvalidOperationException("The TemplateProcessing post-processor has no \"pair\" template.");
        var result = new List<int>();
        foreach (var item in sequences.Count == 1 ? single : pair)
        {
            if (item.Ids is null) result.AddRange(sequences[item.Sequence]);
            else result.AddRange(item.Ids);
        }
        return [result];
    }
}

/// <summary>A template item: fixed ids, or (Ids null) the encoded sequence number <paramref name="Sequence"/> (0 = $A, 1 = $B).</summary>
internal sealed record TemplateItem(int[]? Ids, int Sequence);

/// <summary>RoBERTa's "&lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt;" and BERT's "[CLS] A [SEP] B [SEP]".</summary>
internal sealed class ClassifierProcessor(int cls, int sep, bool roberta) : PostProcessor
{
    public static ClassifierProcessor FromJson(JsonNode node, TokenizerJsonReader reader, bool roberta)
    {
        int IdOf(string key) => node[key] is JsonArray { Count: 2 } pair && pair[1] is JsonValue v && v.TryGetValue(out int id)
            ? id : throw reader.Bad($"{(roberta ? "RobertaProcessing" : "BertProcessing")} needs \"{key}\": [token, id]");
        return new ClassifierProcessor(IdOf("cls"), IdOf("sep"), roberta);
    }

    public override List<List<int>> Process(List<List<int>> sequences)
    {
        var result = new List<int> { cls };
        result.AddRange(sequences[0]);
        result.Add(sep);
        if (sequences.Count > 1)
        {
            if (roberta) result.Add(sep);
            result.AddRange(sequences[1]);
            result.Add(sep);
        }
        return [result];
    }
}
