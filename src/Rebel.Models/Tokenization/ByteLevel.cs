// ByteLevel: GPT-2's reversible map from the 256 byte values to printable Unicode characters, so that any UTF-8 text
// becomes a string of "byte characters" that BPE vocabularies are written in (a space becomes 'Ġ', a newline 'Ċ').
using System.Text;

namespace Rebel.Models.Tokenization;

/// <summary>The byte-to-character table of byte-level BPE (GPT-2, GPT-NeoX, Llama-3, Qwen2).</summary>
public static class ByteLevel
{
    private static readonly char[] ByteToChar = BuildTable();
    private static readonly Dictionary<char, byte> CharToByte = Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    /// <summary>
    /// Printable bytes '!'..'~', '¡'..'¬', '®'..'ÿ' map to the character of the same code; the other 68 bytes map, in
    /// increasing order, to U+0100, U+0101, ...
    /// </summary>
    private static char[] BuildTable()
    {
        var table = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)(256 + next++);
        }
        return table;
    }

    /// <summary>The character that stands for byte <paramref name="b"/>.</summary>
    public static char ToChar(byte b) => ByteToChar[b];

    /// <summary>The byte a character stands for; false for characters outside the table.</summary>
    public static bool TryToByte(char c, out byte b) => CharToByte.TryGetValue(c, out b);

    /// <summary>UTF-8 encodes <paramref name="text"/> and maps every byte to its character.</summary>
    public static string Encode(ReadOnlySpan<char> text)
    {
        int count = Encoding.UTF8.GetByteCount(text);
        Span<byte> bytes = count <= 256 ? stackalloc byte[count] : new byte[count];
        Span<char> chars = count <= 256 ? stackalloc char[count] : new char[count];
        Encoding.UTF8.GetBytes(text, bytes);
        for (int i = 0; i < count; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>
    /// Appends the bytes a token stands for: the mapped bytes when every character is in the table, else the token's own
    /// UTF-8 bytes (as Hugging Face's ByteLevel decoder does for added tokens such as "&lt;|endoftext|&gt;").
    /// </summary>
    public static void AppendBytes(string token, List<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(destination);
        int start = destination.Count;
        foreach (char c in token)
        {
            if (!CharToByte.TryGetValue(c, out byte b))
            {
                destination.RemoveRange(start, destination.Count - start);
                destination.AddRange(Encoding.UTF8.GetBytes(token));
                return;
            }
            destination.Add(b);
        }
    }
}
