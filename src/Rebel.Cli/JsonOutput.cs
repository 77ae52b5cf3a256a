// JSON written by the commands: readable text (no \uXXXX escapes for non-ASCII or '+'), compact lines or indented files.
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Rebel.Cli;

/// <summary>Serializer options for command output.</summary>
internal static class JsonOutput
{
    /// <summary>One JSON value per line.</summary>
    public static JsonSerializerOptions Line { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Indented files.</summary>
    public static JsonSerializerOptions File { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };
}
