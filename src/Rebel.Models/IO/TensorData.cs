// TensorData: a named checkpoint tensor as plain arrays (shape + float32 values), the currency of the IO layer.
using Rebel.Tensors;

namespace Rebel.Models.IO;

/// <summary>A checkpoint tensor: its shape (outermost first) and its float32 values in row-major order.</summary>
public sealed record TensorData(int[] Shape, float[] Data)
{
    /// <summary>Number of elements the shape describes (1 for a scalar shape []).</summary>
    public long ElementCount => SafetensorsDtypes.ElementCount(Shape);

    /// <summary>Wraps the data (no copy) as a plain tensor.</summary>
    public Tensor ToTensor() => Tensor.FromArray(Data, Shape);

    /// <summary>Wraps the data (no copy) as a trainable parameter named <paramref name="name"/>.</summary>
    public Tensor ToParameter(string name) => Tensor.Parameter(Data, Shape, name);

    /// <summary>Copies named tensors (e.g. a model's parameters) into a name -> data map; every tensor needs a unique name.</summary>
    public static Dictionary<string, TensorData> FromNamed(IEnumerable<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var result = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            string name = t.Name ?? throw new ArgumentException($"FromNamed: {t} has no name.", nameof(tensors));
            if (!result.TryAdd(name, From(t))) throw new ArgumentException($"FromNamed: two tensors are named '{name}'.", nameof(tensors));
        }
        return result;
    }

    /// <summary>Copies a tensor's shape and values.</summary>
    public static TensorData From(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return new TensorData((int[])tensor.Shape.Clone(), tensor.ToArray());
    }
}
