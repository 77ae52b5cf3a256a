// BpeTokenizer: byte-level BPE as Hugging Face's tokenizer.json describes it (GPT-2, Pythia/GPT-NeoX, Llama-3, Qwen2).
// Encode = split out added tokens -> normalize -> pre-tokenize (regex splits) -> bytes to byte-characters -> BPE merges
// per word -> post-process template (BOS). Decode = ids -> token strings -> bytes -> UTF-8.
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Rebel.Models.IO;

namespace Rebel.Models.Tokenization;

/// <summary>A byte-level BPE tokenizer loaded from (and savable as) a Hugging Face tokenizer.json.</summary>
public sealed partial class BpeTokenizer
{
    /// <summary>The conventional file name.</summary>
    public const string FileName = "tokenizer.json";

    private const int CacheCapacity = 10_000;

    private readonly JsonObject json;
    private readonly Dictionary<string, int> vocab;
    private readonly string?[] idToToken;
    private readonly Dictionary<long, (int Rank, int Merged)> merges;
    private readonly Dictionary<int, AddedToken> addedById;
    private readonly Dictionary<string, int> addedByContent;
    private readonly Regex? addedPattern;
    private readonly NormalizationForm? normalization;
    private readonly bool lowercase;
    private readonly IReadOnlyList<PreTokenizerStep> preTokenizers;
    private readonly IReadOnlyList<TemplateItem>? template;
    private readonly int? unkId;
    private readonly bool ignoreMerges;
    private readonly ConcurrentDictionary<string, int[]> cache = new(StringComparer.Ordinal);
    private int cacheSize;

    /// <summary>Contents of tokenizer_config.json when loaded from a folder (or set by the trainer), else null.</summary>
    public TokenizerConfig? Config { get; init; }

    /// <summary>One more than the largest id (model vocabulary and added tokens).</summary>
    public int VocabSize => idToToken.Length;

    /// <summary>The added tokens (special tokens and others matched verbatim), by id.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>Where the tokenizer came from, for error messages.</summary>
    public string Source { get; }

    /// <summary>Id of <see cref="TokenizerConfig.BosToken"/>, when configured and known.</summary>
    public int? BosTokenId => IdOf(Config?.BosToken);

    /// <summary>Id of <see cref="TokenizerConfig.EosToken"/>, when configured and known.</summary>
    public int? EosTokenId => IdOf(Config?.EosToken);

    /// <summary>Id of <see cref="TokenizerConfig.PadToken"/>, when configured and known.</summary>
    public int? PadTokenId => IdOf(Config?.PadToken);

    /// <summary>Reads a tokenizer.json file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed.</exception>
    /// <exception cref="NotSupportedException">The file describes something other than byte-level BPE.</exception>
    public static BpeTokenizer Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"Tokenizer file not found: {full}", full);
        return FromJson(File.ReadAllText(full), full);
    }

    /// <summary>Reads tokenizer.json and, when present, tokenizer_config.json from a model folder.</summary>
    public static BpeTokenizer LoadFolder(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var tokenizer = Load(Path.Combine(directory, FileName));
        string configPath = Path.Combine(directory, TokenizerConfig.FileName);
        return File.Exists(configPath) ? tokenizer.WithConfig(TokenizerConfig.Load(configPath)) : tokenizer;
    }

    /// <summary>Parses tokenizer.json text; <paramref name="source"/> names it in error messages.</summary>
    public static BpeTokenizer FromJson(string text, string source = "<tokenizer.json>")
    {
        ArgumentNullException.ThrowIfNull(text);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON ({e.Message}).", e);
        }
        return node is JsonObject obj ? new BpeTokenizer(obj, source) : throw new InvalidDataException($"{source}: expected a JSON object.");
    }

    /// <summary>Builds a tokenizer from a parsed tokenizer.json object (kept, and written back by <see cref="Save"/>).</summary>
    public BpeTokenizer(JsonObject tokenizerJson, string source = "<tokenizer.json>")
    {
        ArgumentNullException.ThrowIfNull(tokenizerJson);
        json = tokenizerJson;
        Source = source;
        var model = json["model"] as JsonObject ?? throw Bad("missing object \"model\"");
        string modelType = model["type"]?.GetValue<string>() ?? "BPE";
        if (modelType != "BPE") throw new NotSupportedException($"{source}: model type \"{modelType}\" is not supported (only byte-level BPE).");

        vocab = ReadVocab(model);
        AddedTokens = ReadAddedTokens();
        int size = Math.Max(vocab.Count == 0 ? 0 : vocab.Values.Max() + 1, AddedTokens.Count == 0 ? 0 : AddedTokens.Max(t => t.Id) + 1);
        idToToken = new string?[size];
        foreach (var (token, id) in vocab) idToToken[id] = token;
        addedById = new Dictionary<int, AddedToken>();
        addedByContent = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in AddedTokens)
        {
            addedById[t.Id] = t;
            addedByContent[t.Content] = t.Id;
            idToToken[t.Id] ??= t.Content;
        }
        addedPattern = BuildAddedPattern(AddedTokens);
        merges = ReadMerges(model);
        ignoreMerges = model["ignore_merges"] is JsonValue im && im.GetValueKind() == JsonValueKind.True;
        if (model["unk_token"] is JsonValue unk && unk.GetValueKind() == JsonValueKind.String && vocab.TryGetValue(unk.GetValue<string>(), out int unkIdValue))
            unkId = unkIdValue;
        CheckUnsupported(model, "continuing_subword_prefix");
        CheckUnsupported(model, "end_of_word_suffix");
        (normalization, lowercase) = ReadNormalizer(json["normalizer"]);
        preTokenizers = ReadPreTokenizer(json["pre_tokenizer"]);
        template = ReadPostProcessor(json["post_processor"]);
    }

    /// <summary>A copy of this tokenizer that carries <paramref name="config"/>.</summary>
    public BpeTokenizer WithConfig(TokenizerConfig? config) => new(json, Source) { Config = config };

    /// <summary>
    /// Encodes text to ids. With <paramref name="addSpecialTokens"/> the post-processor's template applies (e.g. Llama-3
    /// prepends &lt;|begin_of_text|&gt;). Added tokens in the text (e.g. "&lt;|im_start|&gt;") always become their ids.
    /// Characters whose byte is missing from the vocabulary become the unk token, or are dropped when there is none
    /// (as Hugging Face does).
    /// </summary>
    public int[] Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        int start = 0;
        if (addedPattern is not null)
        {
            for (var m = addedPattern.Match(text); m.Success; m = m.NextMatch())
            {
                EncodeSegment(text.AsSpan(start, m.Index - start), ids);
                ids.Add(AddedIdOf(m.Value));
                start = m.Index + m.Length;
            }
        }
        EncodeSegment(text.AsSpan(start), ids);
        return addSpecialTokens ? ApplyTemplate(ids) : [.. ids];
    }

    /// <summary>Decodes ids to text; invalid UTF-8 (e.g. half of an emoji) becomes U+FFFD.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (int id in ids)
        {
            if (addedById.TryGetValue(id, out var added))
            {
                if (!(skipSpecialTokens && added.Special)) bytes.AddRange(Encoding.UTF8.GetBytes(added.Content));
                continue;
            }
            string token = IdToToken(id) ?? throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is not in the vocabulary of {Source} (size {VocabSize}).");
            ByteLevel.AppendBytes(token, bytes);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>Decodes ids to text.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false) => Decode(ids.ToArray().AsSpan(), skipSpecialTokens);

    /// <summary>The id of a token string (vocabulary spelling, e.g. "Ġthe", or an added token's content), or null.</summary>
    public int? TokenToId(string token) =>
        addedByContent.TryGetValue(token, out int a) ? a : vocab.TryGetValue(token, out int v) ? v : null;

    /// <summary>The token string of an id, or null when the id is unused or out of range.</summary>
    public string? IdToToken(int id) => id >= 0 && id < idToToken.Length ? idToToken[id] : null;

    /// <summary>True for ids of special added tokens.</summary>
    public bool IsSpecial(int id) => addedById.TryGetValue(id, out var t) && t.Special;

    /// <summary>The tokenizer.json object (a copy).</summary>
    public JsonObject ToJson() => (JsonObject)json.DeepClone();

    /// <summary>Writes tokenizer.json (atomically).</summary>
    public void Save(string path) => AtomicFile.WriteText(path, json.ToJsonString(JsonFiles.Indented) + "\n");

    /// <summary>Writes tokenizer.json and, when <see cref="Config"/> is set, tokenizer_config.json into a folder.</summary>
    public void SaveFolder(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Save(Path.Combine(directory, FileName));
        Config?.Save(Path.Combine(directory, TokenizerConfig.FileName));
    }

    private int? IdOf(string? token) => token is null ? null : TokenToId(token);

    private int AddedIdOf(string matched)
    {
        if (addedByContent.TryGetValue(matched, out int id)) return id;
        return addedByContent[matched.Trim()];
    }

    private void EncodeSegment(ReadOnlySpan<char> segment, List<int> ids)
    {
        if (segment.IsEmpty) return;
        string text = segment.ToString();
        if (normalization is { } form) text = text.Normalize(form);
        if (lowercase) text = text.ToLowerInvariant();
        foreach (string piece in PreTokenize(text)) ids.AddRange(BpeWord(ByteLevel.Encode(piece)));
    }

    private int[] ApplyTemplate(List<int> ids)
    {
        if (template is null)
        {
            if (Config?.AddBosToken == true && BosTokenId is int bos && (ids.Count == 0 || ids[0] != bos)) ids.Insert(0, bos);
            if (Config?.AddEosToken == true && EosTokenId is int eos) ids.Add(eos);
            return [.. ids];
        }
        var result = new List<int>(ids.Count + 2);
        foreach (var item in template)
        {
            if (item.Ids is null) result.AddRange(ids);
            else result.AddRange(item.Ids);
        }
        return [.. result];
    }

    private InvalidDataException Bad(string message) => new($"{Source}: {message}.");

    private void CheckUnsupported(JsonObject model, string key)
    {
        if (model[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length > 0)
            throw new NotSupportedException($"{Source}: BPE \"{key}\" is not supported (byte-level BPE does not use it).");
    }

    private static Regex? BuildAddedPattern(IReadOnlyList<AddedToken> tokens)
    {
        if (tokens.Count == 0) return null;
        var alternatives = tokens
            .OrderByDescending(t => t.Content.Length)
            .ThenBy(t => t.Content, StringComparer.Ordinal)
            .Select(t => (t.LStrip ? @"\s*" : "") + Regex.Escape(t.Content) + (t.RStrip ? @"\s*" : ""));
        return new Regex(string.Join("|", alternatives), RegexOptions.CultureInvariant);
    }
}
