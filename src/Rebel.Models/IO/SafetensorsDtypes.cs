// Element types of the safetensors format and their conversion to and from float32.
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Rebel.Models.IO;

/// <summary>The safetensors element types this library reads (all) and writes (F32 and BF16).</summary>
public enum SafetensorsDtype
{
    F64,
    F32,
    F16,
    BF16,
    I64,
    I32,
    I16,
    I8,
    U8,
    Bool,
}

/// <summary>Dtype names, sizes and the bit-level float conversions (F16, BF16) used by reader and writer.</summary>
public static class SafetensorsDtypes
{
    /// <summary>The dtype for a header string such as "BF16"; false for names this library does not know.</summary>
    public static bool TryParse(string name, out SafetensorsDtype dtype)
    {
        switch (name)
        {
            case "F64": dtype = SafetensorsDtype.F64; return true;
            case "F32": dtype = SafetensorsDtype.F32; return true;
            case "F16": dtype = SafetensorsDtype.F16; return true;
            case "BF16": dtype = SafetensorsDtype.BF16; return true;
            case "I64": dtype = SafetensorsDtype.I64; return true;
            case "I32": dtype = SafetensorsDtype.I32; return true;
            case "I16": dtype = SafetensorsDtype.I16; return true;
            case "I8": dtype = SafetensorsDtype.I8; return true;
            case "U8": dtype = SafetensorsDtype.U8; return true;
            case "BOOL": dtype = SafetensorsDtype.Bool; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>The header spelling of a dtype ("F32", "BF16", "BOOL", ...).</summary>
    public static string Name(SafetensorsDtype dtype) => dtype == SafetensorsDtype.Bool ? "BOOL" : dtype.ToString();

    /// <summary>Bytes per element.</summary>
    public static int Size(SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.F64 or SafetensorsDtype.I64 => 8,
        SafetensorsDtype.F32 or SafetensorsDtype.I32 => 4,
        SafetensorsDtype.F16 or SafetensorsDtype.BF16 or SafetensorsDtype.I16 => 2,
        _ => 1,
    };

    /// <summary>Product of the dimensions (1 for []); throws on a negative dimension or overflow.</summary>
    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Negative dimension {d} in a shape.");
            n = checked(n * d);
        }
        return n;
    }

    /// <summary>Decodes an IEEE half-precision bit pattern (subnormals, infinities and NaN included).</summary>
    public static float HalfToSingle(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary>Decodes a bfloat16 bit pattern: the upper 16 bits of a float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Encodes a float32 as bfloat16, rounding to nearest with ties to even; NaN stays a (quiet) NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort SingleToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFFu) > 0x7F80_0000u) return (ushort)((bits >> 16) | 0x0040u);
        uint lsb = (bits >> 16) & 1u;
        return (ushort)((bits + 0x7FFFu + lsb) >> 16);
    }

    /// <summary>Converts little-endian elements of <paramref name="dtype"/> to float32; destination.Length elements are read.</summary>
    public static void Decode(SafetensorsDtype dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        int n = destination.Length;
        if (source.Length < (long)n * Size(dtype))
            throw new ArgumentException($"Decode: {source.Length} bytes cannot hold {n} elements of {Name(dtype)}.");
        switch (dtype)
        {
            case SafetensorsDtype.F32:
                if (BitConverter.IsLittleEndian)
                {
                    source[..(n * 4)].CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination));
                }
                else
                {
                    for (int i = 0; i < n; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(i * 4)..]);
                }
                break;
            case SafetensorsDtype.BF16:
                for (int i = 0; i < n; i++) destination[i] = BFloat16ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(i * 2)..]));
                break;
            case SafetensorsDtype.F16:
                for (int i = 0; i < n; i++) destination[i] = HalfToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(i * 2)..]));
                break;
            case SafetensorsDtype.F64:
                for (int i = 0; i < n; i++) destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(source[(i * 8)..]);
                break;
            case SafetensorsDtype.I64:
                for (int i = 0; i < n; i++) destination[i] = BinaryPrimitives.ReadInt64LittleEndian(source[(i * 8)..]);
                break;
            case SafetensorsDtype.I32:
                for (int i = 0; i < n; i++) destination[i] = BinaryPrimitives.ReadInt32LittleEndian(source[(i * 4)..]);
                break;
            case SafetensorsDtype.I16:
                for (int i = 0; i < n; i++) destination[i] = BinaryPrimitives.ReadInt16LittleEndian(source[(i * 2)..]);
                break;
            case SafetensorsDtype.I8:
                for (int i = 0; i < n; i++) destination[i] = (sbyte)source[i];
                break;
            case SafetensorsDtype.U8:
                for (int i = 0; i < n; i++) destination[i] = source[i];
                break;
            case SafetensorsDtype.Bool:
                for (int i = 0; i < n; i++) destination[i] = source[i] != 0 ? 1f : 0f;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype.");
        }
    }

    /// <summary>Converts float32 values to little-endian F32 or BF16 bytes; destination must hold source.Length elements.</summary>
    public static void Encode(SafetensorsDtype dtype, ReadOnlySpan<float> source, Span<byte> destination)
    {
        switch (dtype)
        {
            case SafetensorsDtype.F32:
                for (int i = 0; i < source.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(destination[(i * 4)..], source[i]);
                break;
            case SafetensorsDtype.BF16:
                for (int i = 0; i < source.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(destination[(i * 2)..], SingleToBFloat16(source[i]));
                break;
            default:
                throw new NotSupportedException($"Writing {Name(dtype)} is not supported; use F32 or BF16.");
        }
    }
}
