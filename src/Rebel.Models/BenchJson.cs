// The JSON line a bench's figures print as, shared by `rebel bench --json` and the self-contained GPU bench (bench/Rebel.GpuBench).
using System.Text.Json.Nodes;
using Rebel.Tensors;

namespace Rebel.Models;

/// <summary>Formats <see cref="BenchFigures"/> as one JSON object per line.</summary>
public static class BenchJson
{
    /// <summary>{"bench": name, figure: value, …} in the figures' order, doubles rounded to the figures' decimals.</summary>
    public static JsonObject Line(BenchFigures figures)
    {
        ArgumentNullException.ThrowIfNull(figures);
        var o = new JsonObject { ["bench"] = figures.Bench };
        foreach (var (name, value) in figures.Figures)
        {
            o[name] = value switch
            {
                double d => JsonValue.Create(Math.Round(d, figures.Digits)),
                int i => JsonValue.Create(i),
                long l => JsonValue.Create(l),
                bool b => JsonValue.Create(b),
                string text => JsonValue.Create(text),
                _ => throw new ArgumentException($"bench {figures.Bench}: figure {name} has an unsupported type {value.GetType().Name}."),
            };
        }
        return o;
    }
}
