// ChatTemplate.ForFolder: where a model folder's template comes from (option, chat_template.jinja, tokenizer_config.json as a
// string or a named list), the special tokens it renders with, and EndOfTurn read from real templates.
using System.Text.Json.Nodes;
using Rebel.Models.Templates;
using Rebel.Models.Tokenization;

namespace Rebel.Models.Tests;

public sealed class ChatTemplateResolutionTests
{
    private static readonly ChatMessage[] Turn = [new("user", "Hi")];

    private static void WriteConfig(TempDirectory dir, JsonNode? template)
    {
        var config = new JsonObject { ["bos_token"] = "<B>", ["eos_token"] = new JsonObject { ["content"] = "<E>" }, ["pad_token"] = "<P>" };
        if (template is not null) config["chat_template"] = template;
        File.WriteAllText(dir.File("tokenizer_config.json"), config.ToJsonString());
    }

    [Fact]
    public void Config_template_renders_with_the_configs_special_tokens()
    {
        using var dir = new TempDirectory();
        WriteConfig(dir, "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}{{ pad_token }}[{{ unk_token }}]");
        Assert.Equal("<B>Hi<E><P>[]", ChatTemplate.ForFolder(dir.Path)!.Render(Turn));
    }

    [Fact]
    public void Named_template_list_uses_the_default_one()
    {
        using var dir = new TempDirectory();
        WriteConfig(dir, new JsonArray(
            new JsonObject { ["name"] = "tool_use", ["template"] = "tools" },
            new JsonObject { ["name"] = "default", ["template"] = "default {{ messages | length }}" }));
        Assert.Equal("default 1", ChatTemplate.ForFolder(dir.Path)!.Render(Turn));
    }

    [Fact]
    public void Jinja_file_takes_priority_over_the_config_entry_and_the_option_over_both()
    {
        using var dir = new TempDirectory();
        WriteConfig(dir, "config");
        File.WriteAllText(dir.File(ChatTemplate.JinjaFileName), "file {{ eos_token }}");
        Assert.Equal("file <E>", ChatTemplate.ForFolder(dir.Path)!.Render(Turn));
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n", ChatTemplate.ForFolder(dir.Path, "ChatML")!.Render(Turn, addGenerationPrompt: false));
        string own = dir.File("own.jinja");
        File.WriteAllText(own, "own {{ bos_token }}");
        Assert.Equal("own <B>", ChatTemplate.ForFolder(dir.Path, own)!.Render(Turn));
        Assert.Throws<FileNotFoundException>(() => ChatTemplate.ForFolder(dir.Path, dir.File("missing.jinja")));
    }

    [Fact]
    public void Jinja_file_template_survives_loading_and_saving_the_tokenizer()
    {
        using var dir = new TempDirectory();
        using var saved = new TempDirectory();
        TokenizerFixtures.Gpt2.Save(dir.File("tokenizer.json"));
        WriteConfig(dir, "config");
        File.WriteAllText(dir.File(ChatTemplate.JinjaFileName), "file {{ messages[0].content }}");
        BpeTokenizer.LoadFolder(dir.Path).SaveFolder(saved.Path);
        Assert.Equal("file Hi", ChatTemplate.ForFolder(saved.Path)!.Render(Turn));
    }

    [Fact]
    public void Folder_without_a_template_gives_null_and_a_bad_template_names_its_file()
    {
        using var dir = new TempDirectory();
        Assert.Null(ChatTemplate.ForFolder(dir.Path));
        WriteConfig(dir, null);
        Assert.Null(ChatTemplate.ForFolder(dir.Path));
        File.WriteAllText(dir.File(ChatTemplate.JinjaFileName), "ok\n{% frobnicate %}");
        var e = Assert.Throws<TemplateException>(() => ChatTemplate.ForFolder(dir.Path));
        Assert.Contains("chat_template.jinja:2:4", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("qwen3", "<|im_end|>")]
    [InlineData("llama3.1", "<|eot_id|>")]
    [InlineData("gemma3", "<end_of_turn>")]
    [InlineData("deepseek-v3", "<｜end▁of▁sentence｜>")]
    [InlineData("mistral-style", "</s>")]
    [InlineData("gemma", "<end_of_turn>")]
    public void End_of_turn_is_read_from_what_follows_an_assistant_message(string name, string expected)
    {
        var fixture = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "chat-templates.json")))!;
        var t = fixture["templates"]![name]!;
        var template = ChatTemplate.FromJinja(t["source"]!.GetValue<string>(), t["tokens"]!["bos_token"]?.GetValue<string>(), t["tokens"]!["eos_token"]?.GetValue<string>(), name);
        Assert.Equal(expected, template.EndOfTurn);
    }

    [Fact]
    public void End_of_turn_is_null_when_the_template_marks_none()
    {
        Assert.Null(ChatTemplate.FromJinja("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}", null, null, "plain").EndOfTurn);
        Assert.Null(ChatTemplate.FromJinja("{{ raise_exception('no') }}", null, null, "raising").EndOfTurn);
    }

    [Fact]
    public void Message_content_may_be_a_list_of_parts()
    {
        var template = ChatTemplate.FromJinja("{% for m in messages %}{% for p in m.content %}{{ p.text }}{% endfor %}{% endfor %}", null, null, "parts");
        var messages = ChatTemplate.ParseMessageArray("""[{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]""");
        Assert.Equal("ab", template.RenderJson(messages));
        Assert.Throws<InvalidDataException>(() => ChatTemplate.ParseMessageArray("""[{"content": "no role"}]"""));
    }
}
