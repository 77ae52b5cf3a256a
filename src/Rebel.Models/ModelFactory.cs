// Chooses the implementation for a configuration.
using Rebel.Models.Architectures;
using Rebel.Tensors;

namespace Rebel.Models;

/// <summary>Creates models from configurations.</summary>
public static class ModelFactory
{
    /// <summary>A model of <paramref name="config"/>'s architecture with zero weights.</summary>
    public static LanguageModel Create(ModelConfig config) => config.Architecture switch
    {
        ModelArchitecture.Gpt2 => new Gpt2Model(config),
        ModelArchitecture.Llama or ModelArchitecture.Qwen2 or ModelArchitecture.Mistral or ModelArchitecture.Qwen3 => new LlamaModel(config),
        ModelArchitecture.Phi3 => new Phi3Model(config),
        ModelArchitecture.Gemma2 => new Gemma2Model(config),
        ModelArchitecture.GptNeoX => new GptNeoXModel(config),
        _ => throw new NotSupportedException($"Architecture {config.Architecture} is not implemented."),
    };

    /// <summary>A freshly initialised model.</summary>
    public static LanguageModel Create(ModelConfig config, Rng rng)
    {
        var model = Create(config);
        model.Initialize(rng);
        return model;
    }
}
