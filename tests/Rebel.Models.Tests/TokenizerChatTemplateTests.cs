// ChatTemplate: exact ChatML and Llama-3 renderings of the built-ins, their names, message parsing.
using Rebel.Models.Tokenization;

namespace Rebel.Models.Tests;

public sealed class TokenizerChatTemplateTests
{
    private static readonly ChatMessage[] Messages = [new("system", "Be brief."), new("user", "Hi!"), new("assistant", "Hello.")];

    [Fact]
    public void ChatMl_rendering()
    {
        Assert.Equal(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>assistant\n",
            ChatTemplate.ChatMl.Render(Messages));
        Assert.Equal(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n",
            (ChatTemplate.ChatMl with { DefaultSystemPrompt = "You are a helpful assistant." }).Render([new("user", "Hi!")], addGenerationPrompt: false));
    }

    [Fact]
    public void Llama3_rendering()
    {
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            ChatTemplate.Llama3.Render([new("user", " Hi! ")]));
    }

    [Fact]
    public void Rendered_prompt_encodes_markers_as_special_ids()
    {
        string prompt = ChatTemplate.Llama3.Render([new("user", "Hi")]);
        int[] ids = TokenizerFixtures.Llama3.Encode(prompt, addSpecialTokens: false);
        Assert.Equal(128000, ids[0]);
        Assert.Equal(128006, ids[1]);
        Assert.Contains(128009, ids);
    }

    [Fact]
    public void Names_the_built_in_formats()
    {
        Assert.Same(ChatTemplate.Llama3, ChatTemplate.FromName("Llama-3"));
        Assert.Same(ChatTemplate.ChatMl, ChatTemplate.FromName("qwen2"));
        Assert.Equal("<|im_end|>", ChatTemplate.ChatMl.EndOfTurn);
        Assert.Equal("<|eot_id|>", ChatTemplate.Llama3.EndOfTurn);
        Assert.Throws<ArgumentException>(() => ChatTemplate.FromName("vicuna"));
    }

    [Fact]
    public void Parses_messages_json()
    {
        var messages = ChatTemplate.ParseMessages("""{"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]}""");
        Assert.Equal([new ChatMessage("user", "2+2?"), new ChatMessage("assistant", "4")], messages);
        Assert.Throws<InvalidDataException>(() => ChatTemplate.ParseMessages("""{"messages": [{"role": "user"}]}"""));
    }
}
