// Mutations of one file's bytes: byte-level (bit flips, truncation, invalid UTF-8), JSON-level (value and type changes, deleted,
// renamed and duplicated keys, huge numbers, lone surrogates) and safetensors-level (header length changes, header JSON edits,
// NaN written into the data). Some mutations can never give a valid file; accepting one of those is a silent corruption.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Rebel.Fuzz;

/// <summary>A mutated file: its bytes, what was done, and whether any correct loader must reject it.</summary>
public sealed record Mutation(byte[] Bytes, string Kind, bool MustReject);

/// <summary>Mutates files; all choices come from the <see cref="Random"/> passed in, so a case is reproducible from its seed.</summary>
public static partial class Mutator
{
    // Replacement values, raw JSON text; markers stand for texts JsonNode cannot hold (a lone surrogate, numbers beyond double).
    private static readonly string[] Values =
    [
        "null", "true", "false", "\"\"", "\"x\"", "0", "-1", "1.5", "2147483647", "2147483648", "-2147483649", "9223372036854775807",
        "1e308", "-1e308", "[]", "{}", "[1, 2]", "{\"a\": 1}", "\"\\ud800\"", "1e400", "99999999999999999999999", "2000000", "9600000",
    ];

    /// <summary>A mutation of <paramref name="bytes"/>, a file called <paramref name="fileName"/>.</summary>
    public static Mutation Mutate(byte[] bytes, string fileName, Random random) =>
        fileName.EndsWith(".safetensors", StringComparison.Ordinal) ? MutateSafetensors(bytes, random) : MutateJson(bytes, fileName.EndsWith(".jsonl", StringComparison.Ordinal), random);

    private static Mutation MutateJson(byte[] bytes, bool lines, Random random) => random.Next(8) switch
    {
        0 => FlipBit(bytes, 0, bytes.Length, random),
        1 => Truncate(bytes, random, mustReject: false),
        2 => InsertInvalidUtf8(bytes, random),
        3 => EditText(bytes, lines, random, DuplicateKey, "duplicate key"),
        4 => EditText(bytes, lines, random, RenameKey, "renamed key"),
        5 => EditText(bytes, lines, random, DeleteMember, "deleted member"),
        6 => EditText(bytes, lines, random, ReplaceNumber, "huge number"),
        _ => EditText(bytes, lines, random, ReplaceValue, "value/type change"),
    };

    private static Mutation MutateSafetensors(byte[] bytes, Random random)
    {
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        switch (random.Next(6))
        {
            case 0:
                return FlipBit(bytes, 0, headerEnd, random);
            case 1:
                return Truncate(bytes, random, mustReject: true);
            case 2:
            {
                var copy = (byte[])bytes.Clone();
                long delta = random.Next(4) == 0 ? random.NextInt64(long.MinValue / 2, long.MaxValue / 2) : random.Next(1, 9) * (random.Next(2) == 0 ? -1 : 1);
                BinaryPrimitives.WriteUInt64LittleEndian(copy, (ulong)(headerEnd - 8 + delta));
                return new Mutation(copy, $"header length {delta:+#;-#}", MustReject: true);
            }
            case 3:
            {
                // A NaN in the data section: no loader may accept it (the seed tensors are F32, 4-byte aligned in the data).
                var copy = (byte[])bytes.Clone();
                int elements = (bytes.Length - headerEnd) / 4;
                if (elements == 0) return FlipBit(bytes, 0, headerEnd, random);
                int at = headerEnd + 4 * random.Next(elements);
                BinaryPrimitives.WriteSingleLittleEndian(copy.AsSpan(at), float.NaN);
                return new Mutation(copy, "NaN in the data", MustReject: true);
            }
            case 4:
                return FlipBit(bytes, headerEnd, bytes.Length, random);
            default:
            {
                var header = bytes.AsSpan(8, headerEnd - 8).ToArray();
                var edited = EditText(header, lines: false, random, random.Next(3) switch { 0 => DuplicateKey, 1 => ReplaceNumber, _ => ReplaceValue }, "header JSON edit");
                var result = new byte[8 + edited.Bytes.Length + bytes.Length - headerEnd];
                BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)edited.Bytes.Length);
                edited.Bytes.CopyTo(result, 8);
                bytes.AsSpan(headerEnd).CopyTo(result.AsSpan(8 + edited.Bytes.Length));
                return edited with { Bytes = result };
            }
        }
    }

    private static Mutation FlipBit(byte[] bytes, int from, int to, Random random)
    {
        var copy = (byte[])bytes.Clone();
        if (to <= from) return new Mutation(copy, "bit flip (empty range)", false);
        int at = random.Next(from, to);
        copy[at] ^= (byte)(1 << random.Next(8));
        return new Mutation(copy, "bit flip", false);
    }

    private static Mutation Truncate(byte[] bytes, Random random, bool mustReject) =>
        new(bytes[..random.Next(bytes.Length)], "truncation", mustReject);

    private static Mutation InsertInvalidUtf8(byte[] bytes, Random random)
    {
        byte[][] bad = [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x80]];
        int at = random.Next(bytes.Length + 1);
        return new Mutation([.. bytes.AsSpan(0, at), .. bad[random.Next(bad.Length)], .. bytes.AsSpan(at)], "invalid UTF-8", false);
    }

    // Applies a text edit to the whole file, or to one line of a JSON Lines file.
    private static Mutation EditText(byte[] bytes, bool lines, Random random, Func<string, Random, string> edit, string kind)
    {
        string text = Encoding.UTF8.GetString(bytes);
        if (!lines) return new Mutation(Encoding.UTF8.GetBytes(edit(text, random)), kind, false);
        var all = text.Split('\n');
        int line = random.Next(all.Length);
        all[line] = edit(all[line], random);
        return new Mutation(Encoding.UTF8.GetBytes(string.Join('\n', all)), kind, false);
    }

    [GeneratedRegex("\"((?:[^\"\\\\]|\\\\.){0,60})\"\\s*:")]
    private static partial Regex KeyPattern();

    [GeneratedRegex("-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?")]
    private static partial Regex NumberPattern();

    private static string DuplicateKey(string text, Random random)
    {
        var keys = KeyPattern().Matches(text);
        if (keys.Count == 0) return text;
        var key = keys[random.Next(keys.Count)];
        return text.Insert(key.Index, $"{key.Value} {Values[random.Next(Values.Length)]}, ");
    }

    private static string RenameKey(string text, Random random)
    {
        var keys = KeyPattern().Matches(text);
        if (keys.Count == 0) return text;
        var key = keys[random.Next(keys.Count)];
        int at = key.Index + 1 + random.Next(key.Groups[1].Length + 1);
        return text.Insert(at, "_");
    }

    private static string ReplaceNumber(string text, Random random)
    {
        var numbers = NumberPattern().Matches(text);
        if (numbers.Count == 0) return text;
        var n = numbers[random.Next(numbers.Count)];
        string[] huge = ["2147483647", "4294967296", "9223372036854775808", "1e400", "-1", "99999999999999999999999999", "0.5", "2000000"];
        return text.Remove(n.Index, n.Length).Insert(n.Index, huge[random.Next(huge.Length)]);
    }

    private static string DeleteMember(string text, Random random) => EditNode(text, random, (parent, key, index) =>
    {
        if (parent is JsonObject o) o.Remove(key!);
        else ((JsonArray)parent).RemoveAt(index);
    });

    private static string ReplaceValue(string text, Random random)
    {
        string value = Values[random.Next(Values.Length)];
        const string Marker = "\"@@fuzz-value@@\"";
        return EditNode(text, random, (parent, key, index) =>
        {
            if (parent is JsonObject o) o[key!] = "@@fuzz-value@@";
            else ((JsonArray)parent)[index] = "@@fuzz-value@@";
        }).Replace(Marker, value, StringComparison.Ordinal);
    }

    // Parses the text, applies the edit to a random member or element, and writes it back (unchanged text when it does not parse).
    private static string EditNode(string text, Random random, Action<JsonNode, string?, int> edit)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return text;
        }
        var places = new List<(JsonNode Parent, string? Key, int Index)>();
        void Collect(JsonNode? node)
        {
            if (node is JsonObject o)
            {
                foreach (var (k, v) in o.ToList())
                {
                    places.Add((o, k, -1));
                    Collect(v);
                }
            }
            else if (node is JsonArray a)
            {
                for (int i = 0; i < a.Count; i++)
                {
                    places.Add((a, null, i));
                    Collect(a[i]);
                }
            }
        }
        Collect(root);
        if (places.Count == 0) return text;
        var (parent, key, index) = places[random.Next(places.Count)];
        edit(parent, key, index);
        return root!.ToJsonString();
    }
}
