// Hyper-parameters of the conditional diffusion transformer (DiT, Peebles & Xie 2023) and its noise schedule,
// stored as config.json next to model.safetensors.
using System.Text.Json;
using System.Text.Json.Serialization;
using Rebel.Models.IO;

namespace Rebel.Models.Diffusion;

/// <summary>
/// Size of a diffusion denoiser: its architecture (<see cref="DitModel"/> or <see cref="UnetModel"/>), image, patches, width,
/// depth and the condition vocabulary.
/// </summary>
public sealed record DitConfig
{
    /// <summary>
    /// The network: "dit" (<see cref="DitModel"/>, a transformer on patches) or "unet" (<see cref="UnetModel"/>, a convolutional
    /// U-Net, for which <see cref="HiddenSize"/> is the channel width at full resolution and <see cref="Layers"/> the number of
    /// resolution levels; patch size, heads and MLP ratio are not used). Default "dit".
    /// </summary>
    public string Architecture { get; init; } = Dit;

    /// <summary>The transformer value of <see cref="Architecture"/>.</summary>
    public const string Dit = "dit";

    /// <summary>The U-Net value of <see cref="Architecture"/>.</summary>
    public const string Unet = "unet";

    /// <summary>S, image side in pixels (square images). Default 16.</summary>
    public int ImageSize { get; init; } = 16;

    /// <summary>Image channels (3 for RGB). Default 3.</summary>
    public int Channels { get; init; } = 3;

    /// <summary>P, patch side; the image becomes (S/P)² tokens of Channels·P² values. Default 2.</summary>
    public int PatchSize { get; init; } = 2;

    /// <summary>C, transformer width. Default 96.</summary>
    public int HiddenSize { get; init; } = 96;

    /// <summary>Number of DiT blocks. Default 4.</summary>
    public int Layers { get; init; } = 4;

    /// <summary>H, attention heads. Default 4.</summary>
    public int Heads { get; init; } = 4;

    /// <summary>MLP inner width as a multiple of C. Default 4.</summary>
    public int MlpRatio { get; init; } = 4;

    /// <summary>
    /// Number of values of each condition attribute (one embedding table each; their rows are summed). Default [3, 4, 3]:
    /// shape, shape colour, background of the built-in shapes set.
    /// </summary>
    public int[] ConditionSizes { get; init; } = [3, 4, 3];

    /// <summary>T, training timesteps of the cosine noise schedule. Default 1000.</summary>
    public int TrainTimesteps { get; init; } = 1000;

    /// <summary>
    /// What the network predicts (diffusers' prediction_type): "epsilon", the added noise ε, or "v_prediction",
    /// v = √ᾱ·ε − √(1−ᾱ)·x₀ (Salimans &amp; Ho 2022), which gives the condition more weight at high noise. Default "epsilon".
    /// </summary>
    public string PredictionType { get; init; } = Epsilon;

    /// <summary>The ε-prediction value of <see cref="PredictionType"/>.</summary>
    public const string Epsilon = "epsilon";

    /// <summary>The v-prediction value of <see cref="PredictionType"/>.</summary>
    public const string VPrediction = "v_prediction";

    /// <summary>True when the network predicts v rather than ε.</summary>
    [JsonIgnore]
    public bool PredictsV => PredictionType == VPrediction;

    /// <summary>Width of the sinusoidal timestep features fed to the timestep MLP. Default 64.</summary>
    public int TimestepFeatures { get; init; } = 64;

    /// <summary>
    /// How a U-Net block takes the timestep-and-caption embedding: "add" (default; a per-channel bias added after the first
    /// convolution, DDPM's form) or "scale_shift" (the second norm's output becomes LN(a)·(1 + s) + b, with s and b projected from
    /// the embedding: the improved-DDPM / ADM form, which lets the caption scale features, not only shift them). The DiT ignores it.
    /// </summary>
    public string UnetConditioning { get; init; } = AddConditioning;

    /// <summary>The additive value of <see cref="UnetConditioning"/>.</summary>
    public const string AddConditioning = "add";

    /// <summary>The scale-and-shift value of <see cref="UnetConditioning"/>.</summary>
    public const string ScaleShiftConditioning = "scale_shift";

    /// <summary>Whether U-Net blocks scale and shift their features by the embedding (<see cref="UnetConditioning"/>).</summary>
    [JsonIgnore]
    public bool ScalesAndShifts => UnetConditioning == ScaleShiftConditioning;

    /// <summary>Tokens per image, (S/P)².</summary>
    [JsonIgnore]
    public int Tokens => ImageSize / PatchSize * (ImageSize / PatchSize);

    /// <summary>Values per token, Channels·P².</summary>
    [JsonIgnore]
    public int PatchValues => Channels * PatchSize * PatchSize;

    /// <summary>Values per image, Channels·S².</summary>
    [JsonIgnore]
    public int ImageValues => Channels * ImageSize * ImageSize;

    /// <summary>
    /// A lower bound on the parameters. DiT: per block the attention (4·C²) and MLP (2·C²·ratio) matrices, plus the condition
    /// tables and the patch embedding. U-Net: the two 3 × 3 convolutions of each level's down block, (9·C_l²)·2, plus the condition tables.
    /// </summary>
    [JsonIgnore]
    public double MinimumParameters => Architecture == Unet
        ? Enumerable.Range(0, Layers).Sum(l => 18.0 * UnetChannels(l) * UnetChannels(l)) + ConditionSizes.Sum(n => (double)n) * HiddenSize
        : Layers * (4.0 + 2.0 * MlpRatio) * HiddenSize * HiddenSize + (ConditionSizes.Sum(n => (double)n) + (double)Channels * PatchSize * PatchSize) * HiddenSize;

    /// <summary>The U-Net's channels at level <paramref name="level"/> (side S/2^level): C·2^level, capped at 4·C.</summary>
    public int UnetChannels(int level) => HiddenSize << Math.Min(level, 2);

    /// <summary>The file name inside a model folder.</summary>
    public const string FileName = "config.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Throws naming the first inconsistent field.</summary>
    public void Validate()
    {
        if (Architecture is not (Dit or Unet)) throw new ArgumentException($"DitConfig: architecture '{Architecture}'; expected '{Dit}' or '{Unet}'.");
        if (ImageSize <= 0 || PatchSize <= 0 || ImageSize % PatchSize != 0) throw new ArgumentException($"DitConfig: image size {ImageSize} is not a positive multiple of patch size {PatchSize}.");
        if (Channels <= 0 || HiddenSize <= 0 || Layers <= 0 || MlpRatio <= 0) throw new ArgumentException("DitConfig: channels, width, layers and MLP ratio must be positive.");
        if (Architecture == Unet && (Layers > 8 || ImageSize % (1 << (Layers - 1)) != 0))
            throw new ArgumentException($"DitConfig: a U-Net of {Layers} levels halves the side {Layers - 1} times; image size {ImageSize} is not a multiple of {1 << Math.Clamp(Layers - 1, 0, 30)} (at most 8 levels).");
        if (Architecture == Dit && (Heads <= 0 || HiddenSize % Heads != 0)) throw new ArgumentException($"DitConfig: width {HiddenSize} is not a multiple of {Heads} heads.");
        if (ConditionSizes.Length == 0 || ConditionSizes.Any(n => n <= 0)) throw new ArgumentException("DitConfig: condition sizes must be positive and at least one.");
        if (UnetConditioning is not (AddConditioning or ScaleShiftConditioning))
            throw new ArgumentException($"DitConfig: unet_conditioning '{UnetConditioning}'; expected '{AddConditioning}' or '{ScaleShiftConditioning}'.");
        if (PredictionType is not (Epsilon or VPrediction)) throw new ArgumentException($"DitConfig: prediction_type '{PredictionType}'; expected '{Epsilon}' or '{VPrediction}'.");
        if ((long)Channels * PatchSize * PatchSize > int.MaxValue || (long)Channels * ImageSize * ImageSize > int.MaxValue || (long)HiddenSize * Math.Max(MlpRatio, 4) > int.MaxValue)
            throw new ArgumentException($"DitConfig: channels {Channels}, image size {ImageSize}, patch size {PatchSize}, width {HiddenSize} or MLP ratio {MlpRatio} is beyond any sane size.");
        if (TrainTimesteps > 1_000_000 || TimestepFeatures > 65_536 || ImageSize > 65_536) throw new ArgumentException($"DitConfig: {TrainTimesteps} timesteps, {TimestepFeatures} timestep features or image size {ImageSize} is beyond any sane size.");
        if (TrainTimesteps < 2 || TimestepFeatures < 2 || TimestepFeatures % 2 != 0) throw new ArgumentException("DitConfig: need at least 2 timesteps and an even number of timestep features.");
    }

    /// <summary>Writes the config as JSON (snake_case names).</summary>
    public void Save(string path) => AtomicFile.WriteText(path, JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>
    /// Reads a config written by <see cref="Save"/>. Every key is required except architecture (default dit), prediction_type (diffusers' default, epsilon) and unet_conditioning (default add);
    /// an unknown key (a misspelling) or a value of the wrong type is an InvalidDataException naming the file and the key.
    /// </summary>
    public static DitConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Diffusion model config '{path}' does not exist.", path);
        var json = HfConfig.Load(path);
        string[] unknown = [.. json.Root.Select(kv => kv.Key).Where(k => !Keys.Contains(k))];
        if (unknown.Length > 0)
            throw new InvalidDataException($"{path}: unknown key(s) {string.Join(", ", unknown.Select(k => $"\"{k}\""))} (expected {string.Join(", ", Keys)}).");
        var config = new DitConfig
        {
            Architecture = json.GetString("architecture", Dit) ?? Dit,
            ImageSize = json.GetInt("image_size"),
            Channels = json.GetInt("channels"),
            PatchSize = json.GetInt("patch_size"),
            HiddenSize = json.GetInt("hidden_size"),
            Layers = json.GetInt("layers"),
            Heads = json.GetInt("heads"),
            MlpRatio = json.GetInt("mlp_ratio"),
            ConditionSizes = json.GetIntArray("condition_sizes"),
            TrainTimesteps = json.GetInt("train_timesteps"),
            PredictionType = json.GetString("prediction_type", Epsilon) ?? Epsilon,
            TimestepFeatures = json.GetInt("timestep_features"),
            UnetConditioning = json.GetString("unet_conditioning", AddConditioning) ?? AddConditioning,
        };
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        return config;
    }

    // The keys Save writes (snake_case of the properties).
    private static readonly string[] Keys =
        ["architecture", "image_size", "channels", "patch_size", "hidden_size", "layers", "heads", "mlp_ratio", "condition_sizes", "train_timesteps", "prediction_type", "timestep_features", "unet_conditioning"];
}
