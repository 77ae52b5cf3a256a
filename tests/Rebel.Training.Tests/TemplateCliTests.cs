// `rebel template` on folders holding only tokenizer files: the model's template, chat_template.jinja's priority, the
// --chat-template override, and errors a template raises.
using System.Text.Json.Nodes;

namespace Rebel.Training.Tests;

[Collection("Console")]
public sealed class TemplateCliTests(TinyModelFolder tiny) : IClassFixture<TinyModelFolder>, IDisposable
{
    private const string Conversation = """[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi — ünïcode"}]""";

    private readonly string root = Path.Combine(Path.GetTempPath(), $"rebel-template-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    private string Write(string name, string text)
    {
        Directory.CreateDirectory(root);
        string path = Path.Combine(root, name);
        File.WriteAllText(path, text);
        return path;
    }

    private void WriteConfig(string? template)
    {
        var config = new JsonObject { ["bos_token"] = "<s>", ["eos_token"] = new JsonObject { ["content"] = "</s>" } };
        if (template is not null) config["chat_template"] = template;
        Write("tokenizer_config.json", config.ToJsonString());
    }

    [Fact]
    public void Renders_the_tokenizer_config_template_with_its_special_tokens()
    {
        WriteConfig("{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}");
        string messages = Write("chat.json", Conversation);
        var (code, output, err) = CliHarness.Run("template", "--model", root, "--messages", messages, "--json");
        Assert.True(code == 0, err);
        Assert.Equal("<s>[system]Be brief.</s>[user]Hi — ünïcode</s>", JsonNode.Parse(output)!["text"]!.GetValue<string>());
        (code, output, err) = CliHarness.Run("template", "--model", root, "--messages", messages, "--add-generation-prompt");
        Assert.True(code == 0, err);
        Assert.Equal("<s>[system]Be brief.</s>[user]Hi — ünïcode</s>[assistant]", output);
    }

    [Fact]
    public void Chat_template_jinja_wins_over_the_config_and_the_option_wins_over_both()
    {
        WriteConfig("from config");
        Write("chat_template.jinja", "{% for m in messages %}{{ m.role | upper }}: {{ m.content }}\n{% endfor %}");
        string messages = Write("chat.json", $$"""{"messages": {{Conversation}}}""");
        var (code, output, err) = CliHarness.Run("template", "--model", root, "--messages", messages);
        Assert.True(code == 0, err);
        Assert.Equal("SYSTEM: Be brief.\nUSER: Hi — ünïcode\n", output);
        (code, output, err) = CliHarness.Run("template", "--model", root, "--messages", messages, "--chat-template", "chatml", "--add-generation-prompt");
        Assert.True(code == 0, err);
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi — ünïcode<|im_end|>\n<|im_start|>assistant\n", output);
        string file = Write("mine.jinja", "{{ messages | length }} turns");
        (code, output, err) = CliHarness.Run("template", "--model", root, "--messages", messages, "--chat-template", file);
        Assert.True(code == 0, err);
        Assert.Equal("2 turns", output);
    }

    [Fact]
    public void Template_errors_and_missing_templates_are_reported()
    {
        WriteConfig("{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}");
        string messages = Write("chat.json", Conversation);
        var (code, _, err) = CliHarness.Run("template", "--model", root, "--messages", messages);
        Assert.Equal(1, code);
        Assert.Contains("System role not supported", err, StringComparison.Ordinal);

        WriteConfig("{% for m in messages %}{{ m.content }}\n{% whilst %}");
        (code, _, err) = CliHarness.Run("template", "--model", root, "--messages", messages);
        Assert.Equal(1, code);
        Assert.Contains("tokenizer_config.json (chat_template):2:", err, StringComparison.Ordinal);
        Assert.Contains("whilst", err, StringComparison.Ordinal);

        WriteConfig(null);
        (code, _, err) = CliHarness.Run("template", "--model", root, "--messages", messages);
        Assert.Equal(1, code);
        Assert.Contains("no chat template", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Messages_prompts_of_other_commands_render_with_the_chat_template_option()
    {
        string template = Write("turns.jinja", "{% for m in messages %}{{ m.role }}: {{ m.content | trim }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}");
        string prompts = Write("prompts.jsonl", """{"messages": [{"role": "user", "content": " say 3 letters: "}], "answer": "3"}""" + "\n");
        string output = Path.Combine(root, "eval.json");
        var (code, _, err) = CliHarness.Run("eval", "--model", tiny.ModelDir, "--prompts", prompts, "--reward", "length", "--max-new-tokens", "2",
            "--chat-template", template, "--out", output);
        Assert.True(code == 0, err);
        var result = JsonNode.Parse(File.ReadAllText(output))!["results"]![0]!;
        Assert.Equal("user: say 3 letters:\nassistant:", result["prompt"]!.GetValue<string>());
    }
}
