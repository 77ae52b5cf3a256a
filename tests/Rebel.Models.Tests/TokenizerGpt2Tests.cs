// GPT-2 byte-level BPE against the real GPT-2 vocabulary: known ids, ids from the independent gpt-3-encoder (JavaScript),
// decode round trips, special tokens.
using Rebel.Models.Tokenization;

namespace Rebel.Models.Tests;

public sealed class TokenizerGpt2Tests
{
    private static BpeTokenizer Gpt2 => TokenizerFixtures.Gpt2;

    public static TheoryData<string, int[]> Cases => TokenizerFixtures.Cases("gpt2");

    [Fact]
    public void Well_known_ids()
    {
        Assert.Equal([15496, 995], Gpt2.Encode("Hello world"));
        Assert.Equal([18435], Gpt2.Encode(" Hello"));
        Assert.Equal(50257, Gpt2.VocabSize);
        Assert.Equal(50256, Gpt2.TokenToId("<|endoftext|>"));
        Assert.Equal("Ġthe", Gpt2.IdToToken(262));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_reference_encoder(string text, int[] expected) => Assert.Equal(expected, Gpt2.Encode(text));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_inverts_encode(string text, int[] expected) => Assert.Equal(text, Gpt2.Decode(expected));

    [Fact]
    public void Special_token_in_text_is_one_id_and_can_be_skipped_on_decode()
    {
        int[] ids = Gpt2.Encode("Hello<|endoftext|> world");
        Assert.Equal([15496, 50256, 995], ids);
        Assert.Equal("Hello<|endoftext|> world", Gpt2.Decode(ids));
        Assert.Equal("Hello world", Gpt2.Decode(ids, skipSpecialTokens: true));
        Assert.True(Gpt2.IsSpecial(50256));
        Assert.False(Gpt2.IsSpecial(995));
    }

    [Fact]
    public void Empty_input_and_partial_utf8()
    {
        Assert.Empty(Gpt2.Encode(""));
        Assert.Equal("", Gpt2.Decode(Array.Empty<int>()));
        int[] emoji = Gpt2.Encode("😀");
        Assert.True(emoji.Length > 1);
        Assert.Equal("\uFFFD", Gpt2.Decode(emoji[..1]));
    }

    [Fact]
    public void Unknown_id_is_reported()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Gpt2.Decode([50300]));
        Assert.Contains("50300", e.Message);
    }

    [Fact]
    public void Long_repetitive_input_encodes_quickly_and_round_trips()
    {
        string text = string.Concat(Enumerable.Repeat("ab", 20_000)) + " " + new string(' ', 5000) + "x";
        var ids = Gpt2.Encode(text);
        Assert.Equal(text, Gpt2.Decode(ids));
    }
}
