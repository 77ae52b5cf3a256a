// The formats the fuzzer mutates: how to write a valid seed folder with our own writers, which of its files to mutate, how to
// load a folder through the public loaders (returning a fingerprint of what was loaded), and how to write what was loaded back
// out with our writer and read it again (a file that loads must round-trip).
using System.Security.Cryptography;
using System.Text;
using Rebel.Models;
using Rebel.Models.Diffusion;
using Rebel.Models.IO;
using Rebel.Models.Lora;
using Rebel.Models.Pretrained;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Training.Data;

namespace Rebel.Fuzz;

/// <summary>One format under test.</summary>
/// <param name="Name">Short name used on the command line and in the report.</param>
/// <param name="WriteSeed">Writes a valid folder into the given (empty) directory.</param>
/// <param name="Targets">The files of the seed folder a case mutates (one per case); empty for every file of the folder.</param>
/// <param name="Load">Loads a folder through the public loaders; returns a fingerprint of everything loaded.</param>
/// <param name="RoundTrip">Loads a folder (first argument), writes it with our writer into the second, loads that; returns its fingerprint.</param>
public sealed record FuzzFormat(string Name, Action<string> WriteSeed, string[] Targets, Func<string, string> Load, Func<string, string, string> RoundTrip)
{
    private const string SampleText = "Hello, wörld! <|endoftext|> 123\ttabs";
    private const string ChatTemplateText = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}";

    /// <summary>Every format: model config, tokenizer, single-file and sharded safetensors, prompt JSON Lines, DiT folders, LoRA adapters.</summary>
    public static IReadOnlyList<FuzzFormat> All { get; } =
    [
        new("config", dir => SaveModel(dir, Llama(), null), [HfConfig.FileName], LoadModel, RoundTripModel),
        new("tokenizer", WriteTokenizer, [BpeTokenizer.FileName, TokenizerConfig.FileName], LoadTokenizer, RoundTripTokenizer),
        new("safetensors", dir => SaveModel(dir, Gpt2(), null), [CheckpointFolder.SingleFileName], LoadModel, RoundTripModel),
        new("sharded", dir => SaveModel(dir, Gpt2(), 4096), [], LoadModel, RoundTripModel),
        new("jsonl", WritePrompts, ["prompts.jsonl"], LoadPrompts, (dir, _) => LoadPrompts(dir)),
        new("dit", WriteDit, [DitConfig.FileName, CheckpointFolder.SingleFileName], LoadDit, RoundTripDit),
        new("adapter", WriteAdapter, [PeftAdapter.ConfigFile, PeftAdapter.WeightsFile], LoadAdapter, RoundTripAdapter),
    ];

    private static ModelConfig Gpt2() => new()
    {
        Architecture = ModelArchitecture.Gpt2, VocabSize = 37, HiddenSize = 16, Layers = 2, Heads = 2, KvHeads = 2, IntermediateSize = 40, MaxPositions = 64, EosTokenIds = [3],
    };

    private static ModelConfig Llama() => new()
    {
        Architecture = ModelArchitecture.Llama, VocabSize = 37, HiddenSize = 16, Layers = 2, Heads = 4, KvHeads = 2, IntermediateSize = 24, MaxPositions = 64,
        TieWordEmbeddings = false, HiddenAct = "silu", RopeTheta = 500000, RopeScaling = new Llama3RopeScaling(8, 1, 4, 32), EosTokenIds = [3, 5], BosTokenId = 1,
    };

    // The model's folder; with maxShardBytes, its weights written again as shards and an index.
    private static void SaveModel(string dir, ModelConfig config, long? maxShardBytes)
    {
        var model = ModelFactory.Create(config, new Rng(7));
        HfModelSaver.Save(model, dir);
        if (maxShardBytes is long max) CheckpointFolder.Save(dir, CheckpointFolder.LoadAll(dir), maxShardBytes: max);
    }

    private static string LoadModel(string dir) => Fingerprint(HfModelLoader.Load(dir));

    private static string RoundTripModel(string dir, string scratch)
    {
        HfModelSaver.Save(HfModelLoader.Load(dir), scratch);
        return LoadModel(scratch);
    }

    private static string Fingerprint(LanguageModel model) =>
        Hash(HfModelConfig.ToHf(model.Config).ToJson() + System.Text.Json.JsonSerializer.Serialize(model.Lora),
            model.NamedParameters.Concat(model.LoraLayers.SelectMany(l => new[] { KeyValuePair.Create(l.KeyA, l.A), KeyValuePair.Create(l.KeyB, l.B) }))
                .OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value)));

    private static void WriteTokenizer(string dir)
    {
        BpeTrainer.Synthetic(300, 299).Save(Path.Combine(dir, BpeTokenizer.FileName));
        var config = new HfConfig();
        config.Set("bos_token", "<|endoftext|>");
        config.Set("eos_token", "<|endoftext|>");
        config.Set("add_bos_token", false);
        config.Set("model_max_length", 1024);
        config.Set("chat_template", ChatTemplateText);
        config.Save(Path.Combine(dir, TokenizerConfig.FileName));
    }

    private static string LoadTokenizer(string dir) => Fingerprint(BpeTokenizer.LoadFolder(dir));

    private static string RoundTripTokenizer(string dir, string scratch)
    {
        BpeTokenizer.LoadFolder(dir).SaveFolder(scratch);
        return LoadTokenizer(scratch);
    }

    private static string Fingerprint(BpeTokenizer tokenizer)
    {
        var ids = tokenizer.Encode(SampleText);
        return $"{tokenizer.VocabSize}|{string.Join(',', ids)}|{tokenizer.Decode(ids)}|{tokenizer.BosTokenId}|{tokenizer.EosTokenId}|{tokenizer.Config?.ChatTemplate}";
    }

    private static void WritePrompts(string dir) => File.WriteAllLines(Path.Combine(dir, "prompts.jsonl"),
    [
        """{"prompt": "What is 2+2?", "answer": "4"}""",
        """{"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a colour."}], "answer": "red"}""",
        """{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}""",
        """{"prompt": "Ünïcödé ✓ and emoji 😀", "answer": 7}""",
    ]);

    private static string LoadPrompts(string dir) =>
        string.Join("\n", PromptDataset.Load(Path.Combine(dir, "prompts.jsonl"), ChatTemplate.ChatMl).Select(r => $"{r.IsChat}|{r.Prompt}|{r.Fields.ToJsonString()}"));

    // A LoRA adapter folder (adapter_config.json, adapter_model.safetensors) over a fixed GPT-2 base made again for every load.
    private static void WriteAdapter(string dir)
    {
        var model = ModelFactory.Create(Gpt2(), new Rng(7));
        model.AddLora(new LoraOptions { Rank = 2, Alpha = 4 }, new Rng(8));
        foreach (var layer in model.LoraLayers) layer.B.Span.Fill(0.25f);
        PeftAdapter.Save(model, dir, baseModel: null);
    }

    private static LanguageModel ReadAdapter(string dir)
    {
        var model = ModelFactory.Create(Gpt2(), new Rng(7));
        PeftAdapter.Load(model, dir);
        return model;
    }

    private static string LoadAdapter(string dir) => Fingerprint(ReadAdapter(dir));

    private static string RoundTripAdapter(string dir, string scratch)
    {
        PeftAdapter.Save(ReadAdapter(dir), scratch, baseModel: null);
        return LoadAdapter(scratch);
    }

    private static void WriteDit(string dir) =>
        DitFolder.Save(new DitModel(new DitConfig { ImageSize = 8, PatchSize = 2, HiddenSize = 16, Layers = 1, Heads = 2, MlpRatio = 2, TimestepFeatures = 8 }), dir);

    private static string LoadDit(string dir) => Fingerprint(DitFolder.Load(dir));

    private static string RoundTripDit(string dir, string scratch)
    {
        DitFolder.Save(DitFolder.Load(dir), scratch);
        return LoadDit(scratch);
    }

    private static string Fingerprint(IDenoiser model) =>
        Hash(System.Text.Json.JsonSerializer.Serialize(model.Config), model.NamedParameters.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value)));

    // SHA-256 of the header text and every tensor's name, shape and float bits; a non-finite value is reported, not hashed.
    private static string Hash(string header, IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(header));
        foreach (var (name, t) in tensors)
        {
            var values = t.Span;
            foreach (float v in values)
            {
                if (!float.IsFinite(v)) throw new SilentCorruptionException($"tensor '{name}' loaded with a non-finite value");
            }
            sha.AppendData(Encoding.UTF8.GetBytes($"{name}{Tensor.Format(t.Shape)}"));
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}

/// <summary>A load that succeeded but produced data no valid file can hold (e.g. a non-finite weight).</summary>
public sealed class SilentCorruptionException(string message) : Exception(message);
