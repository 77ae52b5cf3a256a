// BpeTrainer: round trips on unicode text, determinism, vocabulary size, special tokens, and save/load.
using Rebel.Models.Tokenization;

namespace Rebel.Models.Tests;

public sealed class TokenizerTrainerTests
{
    private static readonly string[] Corpus =
    [
        "The cat sat on the mat. The dog sat on the log.",
        "Once upon a time there was a little robot who liked to count: 1, 2, 3, 12345.",
        "Les élèves étudient à l'école. Übermäßig große Straßen!",
        "机器学习很有趣。 日本語も少し。 😀😀 🚀 launch!",
        "<|endoftext|>The end of one story is the start of another.<|endoftext|>",
        "the the the then there these those them they",
    ];

    private static BpeTokenizer Train(int vocabSize = 400) =>
        BpeTrainer.Train(Enumerable.Repeat(Corpus, 5).SelectMany(x => x), vocabSize, ["<|endoftext|>", "<|pad|>"]);

    [Theory]
    [InlineData("The cat sat on the mat.")]
    [InlineData("Übermäßig große Straßen, 机器学习 😀🚀 and unseen words like zyxwv 🦄!")]
    [InlineData("  spaces\n\nand\ttabs  ")]
    [InlineData("")]
    public void Encode_then_decode_is_identity(string text)
    {
        var tokenizer = Train();
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
    }

    [Fact]
    public void Training_is_deterministic_and_respects_vocab_size()
    {
        var a = Train();
        var b = Train();
        Assert.Equal(a.ToJson().ToJsonString(), b.ToJson().ToJsonString());
        Assert.Equal(400, a.VocabSize);
        Assert.True(a.Encode("the cat sat on the mat").Length < "the cat sat on the mat".Length / 2);
    }

    [Fact]
    public void Special_tokens_come_first_and_are_matched_verbatim()
    {
        var tokenizer = Train();
        Assert.Equal(0, tokenizer.TokenToId("<|endoftext|>"));
        Assert.Equal(1, tokenizer.TokenToId("<|pad|>"));
        Assert.Equal(0, tokenizer.EosTokenId);
        int[] ids = tokenizer.Encode("a<|endoftext|>b");
        Assert.Equal(3, ids.Length);
        Assert.Equal(0, ids[1]);
        Assert.Equal("ab", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Saved_tokenizer_json_loads_back_with_identical_encodings()
    {
        using var temp = new TempDirectory();
        var tokenizer = Train();
        tokenizer.SaveFolder(temp.Path);
        var loaded = BpeTokenizer.LoadFolder(temp.Path);
        string text = string.Join(" ", Corpus);
        Assert.Equal(tokenizer.Encode(text), loaded.Encode(text));
        Assert.Equal("<|endoftext|>", loaded.Config!.EosToken);
        var json = loaded.ToJson();
        Assert.Equal("BPE", json["model"]!["type"]!.GetValue<string>());
        Assert.Equal("ByteLevel", json["pre_tokenizer"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void Too_small_vocab_is_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => BpeTrainer.Train(Corpus, 100));
}
