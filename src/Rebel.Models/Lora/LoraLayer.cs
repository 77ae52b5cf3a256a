// One adapted linear layer: the frozen weight it belongs to and its trainable factors A (r, in) and B (out, r).
using Rebel.Tensors;

namespace Rebel.Models.Lora;

/// <summary>
/// The adapter of one linear layer: y = W x + (alpha / r) · B (A x). <paramref name="FanInFanOut"/> is true for GPT-2's Conv1D,
/// whose weight is stored (in, out); the factors have PEFT's shapes either way.
/// </summary>
/// <param name="ModulePath">The module's path in the Hugging Face model, e.g. "model.layers.0.self_attn.q_proj".</param>
/// <param name="Weight">The base weight (frozen while adapters train).</param>
/// <param name="A">lora_A, (r, in): kaiming-uniform (a = √5) at creation, as PEFT initialises it.</param>
/// <param name="B">lora_B, (out, r): zero at creation, so a new adapter leaves the model unchanged.</param>
/// <param name="FanInFanOut">True when <paramref name="Weight"/> is stored (in, out).</param>
public sealed record LoraLayer(string ModulePath, Tensor Weight, Tensor A, Tensor B, bool FanInFanOut)
{
    /// <summary>PEFT's key of lora_A in adapter_model.safetensors.</summary>
    public string KeyA => $"{PeftAdapter.KeyPrefix}{ModulePath}.lora_A.weight";

    /// <summary>PEFT's key of lora_B in adapter_model.safetensors.</summary>
    public string KeyB => $"{PeftAdapter.KeyPrefix}{ModulePath}.lora_B.weight";

    /// <summary>True when PEFT would adapt a module at <paramref name="path"/> for <paramref name="target"/>: equal, or a suffix after a dot.</summary>
    public static bool Matches(string path, string target) =>
        path == target || path.EndsWith("." + target, StringComparison.Ordinal);
}
