// Safetensors reader/writer: round trips, known bit patterns, and a named error for every malformed file.
using System.Buffers.Binary;
using System.Text;
using Rebel.Models.IO;

namespace Rebel.Models.Tests;

public sealed class SafetensorsTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private static Dictionary<string, TensorData> SampleTensors()
    {
        var rng = new Random(1234);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        return new Dictionary<string, TensorData>
        {
            ["transformer.wte.weight"] = new([7, 5], Values(35)),
            ["transformer.h.0.ln_1.bias"] = new([5], Values(5)),
            ["lm_head.weight"] = new([3, 2, 4], Values(24)),
            ["scalar"] = new([], [3.25f]),
            ["empty"] = new([0, 4], []),
        };
    }

    [Fact]
    public void F32_round_trip_is_exact_and_sorted_by_name()
    {
        var tensors = SampleTensors();
        string path = temp.File("model.safetensors");
        SafetensorsWriter.Write(path, tensors);

        using var reader = SafetensorsReader.Open(path);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), reader.Tensors.Select(t => t.Name));
        Assert.Equal("pt", reader.Metadata["format"]);
        Assert.Equal(0, reader.DataStart % 8);
        foreach (var (name, t) in tensors)
        {
            var read = reader.Read(name);
            Assert.Equal(t.Shape, read.Shape);
            Assert.Equal(t.Data, read.Data);
            Assert.Equal(SafetensorsDtype.F32, reader.GetInfo(name).Dtype);
        }
        Assert.Empty(Directory.GetFiles(temp.Path, "*tmp*"));
    }

    [Fact]
    public void Bf16_round_trip_matches_round_to_nearest_even()
    {
        var tensors = SampleTensors();
        string path = temp.File("bf16.safetensors");
        SafetensorsWriter.Write(path, tensors, SafetensorsDtype.BF16);

        var read = SafetensorsReader.ReadAll(path);
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.Shape, read[name].Shape);
            for (int i = 0; i < t.Data.Length; i++)
            {
                float expected = ReferenceBf16(t.Data[i]);
                Assert.Equal(expected, read[name].Data[i]);
                Assert.True(Math.Abs(read[name].Data[i] - t.Data[i]) <= Math.Abs(t.Data[i]) / 256);
            }
        }
        Assert.Equal((35 + 5 + 24 + 1) * 2, new FileInfo(path).Length - HeaderEnd(path));
    }

    // Round to nearest even by exact arithmetic on doubles: the two bf16 neighbours and the midpoint between them.
    private static float ReferenceBf16(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        float down = BitConverter.UInt32BitsToSingle(bits & 0xFFFF0000u);
        float up = BitConverter.UInt32BitsToSingle((bits & 0xFFFF0000u) + 0x10000u);
        double dDown = Math.Abs((double)x - down), dUp = Math.Abs((double)up - x);
        if (dDown < dUp) return down;
        if (dUp < dDown) return up;
        return ((bits >> 16) & 1) == 0 ? down : up;
    }

    private static long HeaderEnd(string path)
    {
        using var reader = SafetensorsReader.Open(path);
        return reader.DataStart;
    }

    [Theory]
    [InlineData(0x3F80, 1.0f)]
    [InlineData(0xC000, -2.0f)]
    [InlineData(0x4049, 3.140625f)]
    [InlineData(0x0000, 0.0f)]
    [InlineData(0x7F80, float.PositiveInfinity)]
    [InlineData(0xFF80, float.NegativeInfinity)]
    [InlineData(0x0001, 9.18354961579912115600575419705e-41f)]
    public void Bf16_decodes_known_bit_patterns(int bits, float expected) =>
        Assert.Equal(expected, SafetensorsDtypes.BFloat16ToSingle((ushort)bits));

    [Theory]
    [InlineData(0x3C00, 1.0f)]
    [InlineData(0xC000, -2.0f)]
    [InlineData(0x3555, 0.333251953125f)]
    [InlineData(0x7BFF, 65504f)]
    [InlineData(0x0001, 5.9604644775390625e-08f)]
    [InlineData(0x0400, 6.103515625e-05f)]
    [InlineData(0x7C00, float.PositiveInfinity)]
    [InlineData(0x8000, -0.0f)]
    public void F16_decodes_known_bit_patterns(int bits, float expected) =>
        Assert.Equal(expected, SafetensorsDtypes.HalfToSingle((ushort)bits));

    [Fact]
    public void Bf16_encode_rounds_ties_to_even_and_keeps_nan()
    {
        Assert.Equal(0x3F80, SafetensorsDtypes.SingleToBFloat16(BitConverter.UInt32BitsToSingle(0x3F808000u)));
        Assert.Equal(0x3F82, SafetensorsDtypes.SingleToBFloat16(BitConverter.UInt32BitsToSingle(0x3F818000u)));
        Assert.Equal(0x3F81, SafetensorsDtypes.SingleToBFloat16(BitConverter.UInt32BitsToSingle(0x3F808001u)));
        Assert.Equal(0x7F80, SafetensorsDtypes.SingleToBFloat16(float.PositiveInfinity));
        Assert.True(float.IsNaN(SafetensorsDtypes.BFloat16ToSingle(SafetensorsDtypes.SingleToBFloat16(float.NaN))));
        Assert.True(float.IsNaN(SafetensorsDtypes.BFloat16ToSingle(SafetensorsDtypes.SingleToBFloat16(BitConverter.UInt32BitsToSingle(0x7F800001u)))));
    }

    [Fact]
    public void Reads_every_dtype_from_a_hand_built_file()
    {
        var entries = new List<(string Name, string Dtype, int[] Shape, byte[] Bytes)>
        {
            ("f16", "F16", [2], [0x00, 0x3C, 0x00, 0xC0]),
            ("bf16", "BF16", [2], [0x80, 0x3F, 0x49, 0x40]),
            ("f64", "F64", [1], BitConverter.GetBytes(2.5)),
            ("i64", "I64", [1], BitConverter.GetBytes(-7L)),
            ("i32", "I32", [1], BitConverter.GetBytes(123456)),
            ("i8", "I8", [2], [0xFF, 0x05]),
            ("u8", "U8", [1], [200]),
            ("bool", "BOOL", [2], [1, 0]),
        };
        string path = temp.File("dtypes.safetensors");
        File.WriteAllBytes(path, Build(entries, metadata: null));

        var read = SafetensorsReader.ReadAll(path);
        Assert.Equal([1f, -2f], read["f16"].Data);
        Assert.Equal([1f, 3.140625f], read["bf16"].Data);
        Assert.Equal([2.5f], read["f64"].Data);
        Assert.Equal([-7f], read["i64"].Data);
        Assert.Equal([123456f], read["i32"].Data);
        Assert.Equal([-1f, 5f], read["i8"].Data);
        Assert.Equal([200f], read["u8"].Data);
        Assert.Equal([1f, 0f], read["bool"].Data);
    }

    [Fact]
    public void Large_tensor_spanning_several_read_chunks_round_trips()
    {
        var data = new float[(1 << 18) * 3 + 17];
        for (int i = 0; i < data.Length; i++) data[i] = i * 0.5f;
        string path = temp.File("big.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, TensorData> { ["w"] = new([data.Length], data) });
        Assert.Equal(data, SafetensorsReader.ReadAll(path)["w"].Data);
    }

    [Fact]
    public void Missing_file_is_FileNotFound_naming_the_file()
    {
        string path = temp.File("nope.safetensors");
        var e = Assert.Throws<FileNotFoundException>(() => SafetensorsReader.Open(path));
        Assert.Contains("nope.safetensors", e.Message);
    }

    [Fact]
    public void Header_length_past_end_of_file_is_invalid_data()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        AssertInvalid(bytes, "header length 1000");
    }

    [Fact]
    public void File_shorter_than_the_length_prefix_is_invalid_data() => AssertInvalid([1, 2, 3], "too short");

    [Fact]
    public void Malformed_json_is_invalid_data() => AssertInvalid(WithHeader("{\"a\": {\"dtype\": "), "not valid JSON");

    [Fact]
    public void Json_that_is_not_an_object_is_invalid_data() => AssertInvalid(WithHeader("[1, 2]"), "does not start with '{'");

    [Fact]
    public void Unknown_dtype_names_the_tensor() =>
        AssertInvalid(WithHeader("{\"w\": {\"dtype\": \"F8_E9\", \"shape\": [1], \"data_offsets\": [0, 1]}}", 1), "tensor 'w': unknown dtype \"F8_E9\"");

    [Fact]
    public void Shape_disagreeing_with_offsets_names_the_tensor() =>
        AssertInvalid(WithHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 20]}}", 20), "tensor 'w': shape [2, 3] of F32 needs 24 bytes");

    [Fact]
    public void Overlapping_offsets_name_both_tensors() =>
        AssertInvalid(
            WithHeader("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 12),
            "tensor 'b' data_offsets [4, 12] overlap tensor 'a'");

    [Fact]
    public void Truncated_data_section_names_the_tensor()
    {
        var tensors = new Dictionary<string, TensorData> { ["a"] = new([4], [1, 2, 3, 4]), ["b"] = new([4], [5, 6, 7, 8]) };
        string path = temp.File("full.safetensors");
        SafetensorsWriter.Write(path, tensors);
        var bytes = File.ReadAllBytes(path);
        AssertInvalid(bytes[..^3], "tensor 'b': data_offsets [16, 32] run past the end");
    }

    [Fact]
    public void Negative_or_non_integer_shape_is_invalid_data() =>
        AssertInvalid(WithHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", 4), "tensor 'w': shape [-1]");

    [Fact]
    public void Missing_data_offsets_names_the_tensor() =>
        AssertInvalid(WithHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4), "tensor 'w': \"data_offsets\"");

    [Fact]
    public void Writer_rejects_shape_and_data_mismatch()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.Write(temp.File("x.safetensors"), new Dictionary<string, TensorData> { ["w"] = new([2, 2], [1, 2, 3]) }));
        Assert.Contains("'w'", e.Message);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    private void AssertInvalid(byte[] bytes, string expectedFragment)
    {
        string path = temp.File("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsReader.Open(path));
        Assert.Contains("bad.safetensors", e.Message);
        Assert.Contains(expectedFragment, e.Message);
    }

    private static byte[] WithHeader(string json, int dataBytes = 0)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private static byte[] Build(List<(string Name, string Dtype, int[] Shape, byte[] Bytes)> entries, string? metadata)
    {
        var json = new StringBuilder("{");
        if (metadata is not null) json.Append("\"__metadata__\":").Append(metadata).Append(',');
        long offset = 0;
        var data = new List<byte>();
        foreach (var (name, dtype, shape, b) in entries)
        {
            json.Append($"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{offset},{offset + b.Length}]}},");
            offset += b.Length;
            data.AddRange(b);
        }
        json.Length--;
        json.Append('}');
        var header = WithHeader(json.ToString());
        return [.. header, .. data];
    }
}
