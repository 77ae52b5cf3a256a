// The one thing the speed report needs from a model that can carry low-rank adapters (LoRA): a way to add them.
using Rebel.Tensors;

namespace Rebel.Models;

/// <summary>
/// A language model that can carry LoRA adapters. <see cref="ModelBench.RunPreset"/> times a LoRA training step (and prints
/// its line) only for models that implement it; every other model reports full fine-tuning alone.
/// </summary>
public interface ILowRankAdaptable
{
    /// <summary>
    /// Adds rank-<paramref name="rank"/> adapters on the default target layers (with PEFT's default alpha and dropout),
    /// freezes the base weights, and returns the parameters that train from now on (the adapters alone).
    /// </summary>
    IReadOnlyList<Tensor> AddLowRankAdapters(int rank);
}
