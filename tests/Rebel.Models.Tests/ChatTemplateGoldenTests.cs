// Chat templates rendered by our Jinja engine, compared byte for byte with @huggingface/jinja's renderings of the same
// templates (real ones from model packages, a few hand-written, our built-ins): Fixtures/chat-templates.json, written by
// scripts/chat_templates/make_chat_template_fixtures.js.
using System.Text.Json.Nodes;
using Rebel.Models.Templates;
using Rebel.Models.Tokenization;

namespace Rebel.Models.Tests;

public sealed class ChatTemplateGoldenTests
{
    private static readonly JsonObject Fixture = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "chat-templates.json")))!.AsObject();

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Fixture["cases"]!.AsArray().Count; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Renders_like_huggingface_jinja(int index)
    {
        var c = Fixture["cases"]![index]!.AsObject();
        string name = c["template"]!.GetValue<string>();
        var t = Fixture["templates"]![name]!.AsObject();
        var tokens = t["tokens"]!.AsObject();
        var template = ChatTemplate.FromJinja(t["source"]!.GetValue<string>(), Token(tokens, "bos_token"), Token(tokens, "eos_token"), name)
            with { PadToken = Token(tokens, "pad_token"), UnkToken = Token(tokens, "unk_token") };
        var messages = Fixture["conversations"]![c["conversation"]!.GetValue<string>()]!.AsArray();
        bool addGenerationPrompt = c["add_generation_prompt"]!.GetValue<bool>();
        if (c["error"] is { } error)
        {
            var e = Assert.Throws<TemplateException>(() => template.RenderJson(messages, addGenerationPrompt));
            Assert.True(e.RaisedByTemplate, e.Message);
            Assert.Contains(error.GetValue<string>(), e.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(c["expected"]!.GetValue<string>(), template.RenderJson(messages, addGenerationPrompt));
        }
    }

    [Fact]
    public void Fixture_covers_six_model_families_from_packages()
    {
        var fromPackages = Fixture["templates"]!.AsObject().Where(kv => kv.Value!["origin"]!.GetValue<string>().StartsWith("@lenml/", StringComparison.Ordinal)).ToList();
        Assert.True(fromPackages.Count >= 6, $"{fromPackages.Count} package templates");
    }

    [Fact]
    public void Built_in_templates_in_the_fixture_are_the_shipped_ones()
    {
        Assert.Equal(ChatTemplate.ChatMl.Source, Fixture["templates"]!["rebel-chatml"]!["source"]!.GetValue<string>());
        Assert.Equal(ChatTemplate.Llama3.Source, Fixture["templates"]!["rebel-llama3"]!["source"]!.GetValue<string>());
    }

    private static string? Token(JsonObject tokens, string key) => tokens[key]?.GetValue<string>();
}
