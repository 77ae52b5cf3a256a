// UnicodeNormalization: NFC, NFD, NFKC and NFKD (UAX #15) from tables embedded in the assembly, because with
// InvariantGlobalization=true (Directory.Build.props) .NET has no ICU and string.Normalize leaves non-ASCII text as it is.
// Tables: scripts/make_unicode_normalization_data.py (Python's unicodedata); Hangul syllables are computed.
using System.IO.Compression;
using System.Text;

namespace Rebel.Models.Tokenization;

/// <summary>Unicode normalization forms that work without ICU.</summary>
public static class UnicodeNormalization
{
    private const int HangulBase = 0xAC00, LeadBase = 0x1100, VowelBase = 0x1161, TrailBase = 0x11A7;
    private const int LeadCount = 19, VowelCount = 21, TrailCount = 28, SyllableCount = LeadCount * VowelCount * TrailCount;

    private static readonly Lazy<Tables> Data = new(Tables.Load);

    /// <summary>
    /// <paramref name="text"/> in normalization form <paramref name="form"/> (canonical or compatibility decomposition,
    /// canonical ordering, and for the C forms canonical composition). Unpaired surrogates are kept as they are.
    /// </summary>
    public static string Normalize(string text, NormalizationForm form)
    {
        ArgumentNullException.ThrowIfNull(text);
        bool compatibility = form is NormalizationForm.FormKC or NormalizationForm.FormKD;
        bool compose = form is NormalizationForm.FormC or NormalizationForm.FormKC;
        int unaffectedBelow = compatibility ? 0xA0 : compose ? 0x300 : 0xC0;
        if (AllBelow(text, unaffectedBelow)) return text;

        var tables = Data.Value;
        var points = new List<int>(text.Length + 8);
        for (int i = 0; i < text.Length;)
        {
            int cp = char.IsSurrogatePair(text, i) ? char.ConvertToUtf32(text[i], text[i + 1]) : text[i];
            i += cp > 0xFFFF ? 2 : 1;
            Decompose(cp, compatibility, tables, points);
        }
        ReorderCanonically(points, tables);
        if (compose) Compose(points, tables);
        var sb = new StringBuilder(points.Count);
        foreach (int cp in points)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) sb.Append((char)cp);
            else sb.Append(char.ConvertFromUtf32(cp));
        }
        return sb.ToString();
    }

    private static bool AllBelow(string text, int limit)
    {
        foreach (char c in text)
        {
            if (c >= limit) return false;
        }
        return true;
    }

    private static void Decompose(int cp, bool compatibility, Tables tables, List<int> destination)
    {
        int s = cp - HangulBase;
        if (s is >= 0 and < SyllableCount)
        {
            destination.Add(LeadBase + s / (VowelCount * TrailCount));
            destination.Add(VowelBase + s % (VowelCount * TrailCount) / TrailCount);
            if (s % TrailCount != 0) destination.Add(TrailBase + s % TrailCount);
            return;
        }
        if ((compatibility && tables.Compatibility.TryGetValue(cp, out var parts)) || tables.Canonical.TryGetValue(cp, out parts))
            destination.AddRange(parts);
        else
            destination.Add(cp);
    }

    /// <summary>Stable sort of every run of non-starters by combining class.</summary>
    private static void ReorderCanonically(List<int> points, Tables tables)
    {
        for (int i = 1; i < points.Count; i++)
        {
            int cls = tables.ClassOf(points[i]);
            if (cls == 0) continue;
            int j = i;
            while (j > 0 && tables.ClassOf(points[j - 1]) > cls)
            {
                (points[j - 1], points[j]) = (points[j], points[j - 1]);
                j--;
            }
        }
    }

    /// <summary>Canonical composition: each character joins the last starter unless a character in between blocks it.</summary>
    private static void Compose(List<int> points, Tables tables)
    {
        int write = 0;
        int starter = -1;
        int lastClass = 0;
        for (int read = 0; read < points.Count; read++)
        {
            int cp = points[read];
            int cls = tables.ClassOf(cp);
            bool reachable = starter >= 0 && (write - 1 == starter || (lastClass != 0 && lastClass < cls));
            if (reachable && TryCompose(points[starter], cp, tables, out int composite))
            {
                points[starter] = composite;
                continue;
            }
            if (cls == 0) starter = write;
            lastClass = cls;
            points[write++] = cp;
        }
        points.RemoveRange(write, points.Count - write);
    }

    private static bool TryCompose(int first, int second, Tables tables, out int composite)
    {
        int lead = first - LeadBase, vowel = second - VowelBase;
        if (lead is >= 0 and < LeadCount && vowel is >= 0 and < VowelCount)
        {
            composite = HangulBase + (lead * VowelCount + vowel) * TrailCount;
            return true;
        }
        int syllable = first - HangulBase, trail = second - TrailBase;
        if (syllable is >= 0 and < SyllableCount && syllable % TrailCount == 0 && trail is > 0 and < TrailCount)
        {
            composite = first + trail;
            return true;
        }
        return tables.Composites.TryGetValue(((long)first << 32) | (uint)second, out composite);
    }

    private sealed class Tables
    {
        public Dictionary<int, byte> Classes { get; } = [];

        public Dictionary<int, int[]> Canonical { get; } = [];

        public Dictionary<int, int[]> Compatibility { get; } = [];

        public Dictionary<long, int> Composites { get; } = [];

        public int ClassOf(int cp) => cp < 0x300 ? 0 : Classes.GetValueOrDefault(cp);

        public static Tables Load()
        {
            const string name = "Rebel.Models.UnicodeNormalization.data.gz";
            using var stream = typeof(UnicodeNormalization).Assembly.GetManifestResourceStream(name)
                ?? throw new InvalidOperationException($"Embedded resource {name} is missing.");
            using var gz = new GZipStream(stream, CompressionMode.Decompress);
            using var reader = new StreamReader(gz, Encoding.ASCII);
            var tables = new Tables();
            while (reader.ReadLine() is { } line)
            {
                if (line.Length == 0 || line[0] == '#') continue;
                int[] values = line[2..].Split(' ').Select(x => Convert.ToInt32(x, 16)).ToArray();
                switch (line[0])
                {
                    case 'c': tables.Classes[values[0]] = (byte)values[1]; break;
                    case 'd': tables.Canonical[values[0]] = values[1..]; break;
                    case 'k': tables.Compatibility[values[0]] = values[1..]; break;
                    case 'p': tables.Composites[((long)values[0] << 32) | (uint)values[1]] = values[2]; break;
                    default: throw new InvalidDataException($"{name}: unknown record \"{line}\".");
                }
            }
            return tables;
        }
    }
}
