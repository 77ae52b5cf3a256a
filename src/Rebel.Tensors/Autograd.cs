// The autograd tape: ops record (parents, backward closure) on their result; Backward sorts the graph
// topologically and runs the closures in reverse. Each closure accumulates into its parents' gradients with +=.
namespace Rebel.Tensors;

/// <summary>Thrown in anomaly mode when an op produces NaN or Inf.</summary>
public sealed class AnomalyException(string message) : Exception(message);

/// <summary>Reverse-mode automatic differentiation over an eager tape.</summary>
public static class Autograd
{
    [ThreadStatic] private static int noGradDepth;

    /// <summary>When true, every op checks its output (and Backward every gradient) for NaN/Inf and throws naming the first op.
    /// Also enabled by the environment variable REBEL_DETECT_ANOMALY=1.</summary>
    public static bool DetectAnomaly { get; set; } = Environment.GetEnvironmentVariable("REBEL_DETECT_ANOMALY") == "1";

    /// <summary>False inside a <see cref="NoGrad"/> scope: ops then record nothing.</summary>
    public static bool IsGradEnabled => noGradDepth == 0;

    /// <summary>Disables recording until disposed (for sampling and evaluation).</summary>
    public static NoGradScope NoGrad()
    {
        noGradDepth++;
        return new NoGradScope();
    }

    /// <summary>Ends a <see cref="NoGrad"/> region.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => noGradDepth--;
    }

    /// <summary>Attaches an op's backward to its result when any parent requires grad.</summary>
    internal static Tensor Record(Tensor result, string op, Tensor[] parents, Action backward)
    {
        result.Op = op;
        if (DetectAnomaly) CheckFinite(result.IsOnDevice ? result.ToArray() : result.Span, $"forward of '{op}' (output shape {Tensor.Format(result.Shape)})");
        if (noGradDepth > 0) return result;
        foreach (var p in parents)
        {
            if (!p.RequiresGrad) continue;
            result.RequiresGrad = true;
            result.Parents = parents;
            result.BackwardFn = backward;
            return result;
        }
        return result;
    }

    /// <summary>
    /// Back-propagates from <paramref name="root"/>; a non-scalar root is seeded with ones. Frees the graph afterwards; only leaves
    /// (parameters, inputs that require grad) keep a gradient.
    /// </summary>
    public static void Backward(Tensor root)
    {
        if (!root.RequiresGrad) throw new InvalidOperationException($"Backward: tensor {root} does not require grad (no parameter reaches it, or it was made under NoGrad).");
        var order = TopologicalOrder(root);
        foreach (var node in order)
        {
            if (node.BackwardFn is null && !node.IsParameter)
                throw new InvalidOperationException($"Backward: the graph through {node} was freed by an earlier Backward; run the forward pass again.");
        }
        if (root.IsOnDevice) root.Device.AddScalarInPlace(root.DeviceGrad, 1f, root.Size);
        else
        {
            var seed = root.GradSpan;
            for (int i = 0; i < seed.Length; i++) seed[i] += 1f;
        }
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var node = order[i];
            if (node.BackwardFn is null || !node.HasGrad) continue;
            node.BackwardFn();
            if (DetectAnomaly)
            {
                foreach (var p in node.Parents!)
                {
                    if (p.Grad is { } pg) CheckFinite(pg.AsSpan(0, p.Size), $"backward of '{node.Op}' (gradient of its input of shape {Tensor.Format(p.Shape)})");
                }
            }
            node.ReleaseGrad(); // as in PyTorch, only leaves keep their gradient; the buffer serves the gradients still to come
        }
        foreach (var node in order)
        {
            node.BackwardFn = null;
            node.Parents = null;
        }
    }

    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Node, int Next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            var parents = node.Parents;
            if (parents is not null && next < parents.Length)
            {
                stack.Push((node, next + 1));
                var p = parents[next];
                if (p.RequiresGrad && visited.Add(p)) stack.Push((p, 0));
            }
            else
            {
                order.Add(node);
            }
        }
        return order;
    }

    private static void CheckFinite(ReadOnlySpan<float> values, string where)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                throw new AnomalyException($"Anomaly: {(float.IsNaN(values[i]) ? "NaN" : "Inf")} at element {i} in the {where}.");
        }
    }
}
