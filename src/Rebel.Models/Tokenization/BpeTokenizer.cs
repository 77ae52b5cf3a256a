// BpeTokenizer: a BPE tokenizer as Hugging Face's tokenizer.json describes it: byte-level BPE (GPT-2, Llama-3, Qwen,
// DeepSeek) and SentencePiece-style BPE with byte fallback (Llama-2, Mistral, Gemma).
// Encode = split out added tokens -> normalizer -> split out normalized added tokens -> pre-tokenizer -> BPE merges per
// word (byte fallback / unk for unknown characters) -> post-processor (BOS/EOS templates).
// Decode = ids -> token strings -> decoder chain (ByteLevel, or Replace/ByteFallback/Fuse/Strip, ...).
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rebel.Models.IO;

namespace Rebel.Models.Tokenization;

/// <summary>A BPE tokenizer loaded from (and savable as) a Hugging Face tokenizer.json.</summary>
public sealed partial class BpeTokenizer : ITokenizer
{
    /// <summary>The conventional file name.</summary>
    public const string FileName = "tokenizer.json";

    private const int CacheCapacity = 10_000;

    /// <summary>Longer words are not cached: without a pre-tokenizer (Gemma) a word is a whole text, rarely seen twice.</summary>
    private const int CachedWordLength = 256;

    private readonly Lazy<JsonObject> json;
    private readonly Dictionary<string, int> vocab;
    private readonly string?[] idToToken;
    private readonly Dictionary<long, (int Rank, int Merged)> merges;
    private readonly Dictionary<int, AddedToken> addedById;
    private readonly Dictionary<string, int> addedByContent;
    private readonly AddedTokenMatcher rawAdded;
    private readonly AddedTokenMatcher normalizedAdded;
    private readonly Normalizer? normalizer;
    private readonly PreTokenizer? preTokenizer;
    private readonly PostProcessor? postProcessor;
    private readonly TokenDecoder? decoder;
    private readonly BpeOptions options;
    private readonly ConcurrentDictionary<string, int[]> cache = new(StringComparer.Ordinal);
    private TokenizerConfig? config;
    private int cacheSize;

    /// <summary>Contents of tokenizer_config.json when loaded from a folder (or set by the trainer), else null.</summary>
    public TokenizerConfig? Config { get => config; init => config = value; }

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

    /// <summary>Ids must be below this (2^24, far above the largest vocabularies in use, about 256k).</summary>
    public const int MaxTokenIds = 1 << 24;

    /// <summary>Reads a tokenizer.json file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed.</exception>
    /// <exception cref="NotSupportedException">The file uses a model or component type this class does not implement.</exception>
    public static BpeTokenizer Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"Tokenizer file not found: {full}", full);
        return FromJson(File.ReadAllBytes(full), full);
    }

    /// <summary>Reads tokenizer.json and, when present, tokenizer_config.json and chat_template.jinja from a model folder.</summary>
    public static BpeTokenizer LoadFolder(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var tokenizer = Load(Path.Combine(directory, FileName));
        // A chat_template.jinja lands in the config, so it is kept when the folder is saved again.
        var (config, _) = TokenizerConfig.ReadFolder(directory);
        return config is null ? tokenizer : tokenizer.WithConfig(config);
    }

    /// <summary>
    /// Parses tokenizer.json text; <paramref name="source"/> names it in error messages. The text is read with JsonDocument
    /// (fast for 250k-token vocabularies) and parsed into the object <see cref="ToJson"/> returns only when asked for.
    /// </summary>
    public static BpeTokenizer FromJson(string text, string source = "<tokenizer.json>")
    {
        ArgumentNullException.ThrowIfNull(text);
        return FromJson(System.Text.Encoding.UTF8.GetBytes(text), source);
    }

    private static BpeTokenizer FromJson(byte[] utf8, string source)
    {
        using var document = JsonFiles.ParseDocument(utf8, source);
        return document.RootElement.ValueKind == JsonValueKind.Object
            ? new BpeTokenizer(document.RootElement, new Lazy<JsonObject>(() => (JsonObject)JsonFiles.ParseNode(utf8, source)!), source)
            : throw new InvalidDataException($"{source}: expected a JSON object.");
    }

    /// <summary>Builds a tokenizer from a parsed tokenizer.json object (kept, and written back by <see cref="Save"/>).</summary>
    public BpeTokenizer(JsonObject tokenizerJson, string source = "<tokenizer.json>")
        : this(ParseCopy(tokenizerJson).RootElement, new Lazy<JsonObject>(tokenizerJson), source)
    {
    }

    private BpeTokenizer(JsonElement root, Lazy<JsonObject> tokenizerJson, string source)
    {
        json = tokenizerJson;
        Source = source;
        var reader = new TokenizerJsonReader(source);
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object) throw reader.Bad("missing object \"model\"");
        var modelOptions = ModelOptions(model);
        string modelType = TokenizerJsonReader.String(modelOptions, "type") ?? "BPE";
        if (modelType != "BPE") throw reader.Unsupported("model", modelType, "BPE");

        vocab = ReadVocab(model, reader);
        AddedTokens = ReadAddedTokens(Component(root, "added_tokens"), reader);
        long size = Math.Max(vocab.Count == 0 ? 0 : vocab.Values.Max() + 1L, AddedTokens.Count == 0 ? 0 : AddedTokens.Max(t => t.Id) + 1L);
        // Ids index a table (trimmed vocabularies leave holes), so an id past any real vocabulary is an error, not an allocation.
        if (size > MaxTokenIds) throw reader.Bad($"token id {size - 1} is out of range (ids must be below {MaxTokenIds})");
        idToToken = new string?[(int)size];
        foreach (var (token, id) in vocab) idToToken[id] = token;
        addedById = [];
        addedByContent = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in AddedTokens)
        {
            addedById[t.Id] = t;
            addedByContent[t.Content] = t.Id;
            idToToken[t.Id] ??= t.Content;
        }
        options = ReadOptions(modelOptions, reader);
        merges = ReadMerges(model, reader);
        normalizer = Normalizer.Read(Component(root, "normalizer"), reader);
        preTokenizer = PreTokenizer.Read(Component(root, "pre_tokenizer"), reader);
        postProcessor = PostProcessor.Read(Component(root, "post_processor"), reader, TokenToId);
        decoder = TokenDecoder.Read(Component(root, "decoder"), reader);
        rawAdded = new AddedTokenMatcher(AddedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        normalizedAdded = new AddedTokenMatcher(AddedTokens.Where(t => t.Normalized).Select(t => (normalizer?.Apply(t.Content) ?? t.Content, t)));
    }

    /// <summary>A copy of this tokenizer that carries <paramref name="config"/> (the parsed vocabulary is shared).</summary>
    public BpeTokenizer WithConfig(TokenizerConfig? config)
    {
        var copy = (BpeTokenizer)MemberwiseClone();
        copy.config = config;
        return copy;
    }

    /// <summary>
    /// Encodes text to ids. With <paramref name="addSpecialTokens"/> the post-processor adds its special tokens (e.g. Llama-3
    /// prepends &lt;|begin_of_text|&gt;); without a post-processor that adds any, tokenizer_config.json's add_bos_token and
    /// add_eos_token do. Added tokens in the text (e.g. "&lt;|im_start|&gt;") always become their ids. A character missing
    /// from the vocabulary becomes its UTF-8 bytes' &lt;0xNN&gt; tokens (byte_fallback), else the unk token, else nothing
    /// (as Hugging Face does).
    /// </summary>
    public int[] Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        return PostProcess([EncodeSequence(text)], addSpecialTokens);
    }

    /// <summary>Encodes a pair of texts (e.g. question and passage) as the post-processor's "pair" template joins them.</summary>
    public int[] EncodePair(string text, string pair, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(pair);
        return PostProcess([EncodeSequence(text), EncodeSequence(pair)], addSpecialTokens);
    }

    /// <summary>
    /// Decodes ids to text through tokenizer.json's decoder (without one, token strings joined by spaces, as Hugging Face
    /// does); invalid UTF-8 (e.g. half of an emoji) becomes U+FFFD.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var tokens = new List<string>(ids.Length);
        foreach (int id in ids)
        {
            if (addedById.TryGetValue(id, out var added))
            {
                if (!(skipSpecialTokens && added.Special)) tokens.Add(added.Content);
                continue;
            }
            tokens.Add(IdToToken(id) ?? throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is not in the vocabulary of {Source} (size {VocabSize})."));
        }
        return decoder is null ? string.Join(' ', tokens) : string.Concat(decoder.DecodeChain(tokens));
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
    public JsonObject ToJson() => (JsonObject)json.Value.DeepClone();

    /// <summary>Writes tokenizer.json (atomically).</summary>
    public void Save(string path) => AtomicFile.WriteText(path, json.Value.ToJsonString(JsonFiles.Indented) + "\n");

    /// <summary>Writes tokenizer.json and, when <see cref="Config"/> is set, tokenizer_config.json into a folder.</summary>
    public void SaveFolder(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Save(Path.Combine(directory, FileName));
        Config?.Save(Path.Combine(directory, TokenizerConfig.FileName));
    }

    private static JsonDocument ParseCopy(JsonObject tokenizerJson)
    {
        ArgumentNullException.ThrowIfNull(tokenizerJson);
        return JsonDocument.Parse(tokenizerJson.ToJsonString());
    }

    private int? IdOf(string? token) => token is null ? null : TokenToId(token);

    private int[] PostProcess(List<List<int>> sequences, bool addSpecialTokens)
    {
        if (addSpecialTokens && postProcessor is { AddsTokens: true }) return [.. postProcessor.Process(sequences).SelectMany(s => s)];
        var ids = sequences.SelectMany(s => s).ToList();
        if (!addSpecialTokens) return [.. ids];
        if (Config?.AddBosToken == true && BosTokenId is int bos && (ids.Count == 0 || ids[0] != bos)) ids.Insert(0, bos);
        if (Config?.AddEosToken == true && EosTokenId is int eos) ids.Add(eos);
        return [.. ids];
    }
}
