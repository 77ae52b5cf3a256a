// TRL's dataset formats (prompt-only, supervised, preference; plain and conversational) read from JSON Lines, JSON and Parquet.
using System.Text.Json.Serialization;
using Parquet.Serialization;
using Rebel.Models.Tokenization;
using Rebel.Training.Data;

namespace Rebel.Training.Tests;

public sealed class DataFormatTests : IDisposable
{
    private static readonly ChatTemplate Chat = ChatTemplate.ChatMl;
    private readonly string dir = Directory.CreateTempSubdirectory("rebel-data-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string User(string text) => $"{{\"role\": \"user\", \"content\": \"{text}\"}}";

    private static string Assistant(string text) => $"{{\"role\": \"assistant\", \"content\": \"{text}\"}}";

    private string Write(string name, params string[] lines)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void PromptOnlyRecordsArePlainOrConversational()
    {
        var plain = PromptDataset.Parse("{\"prompt\": \"2+2=\", \"answer\": \"4\"}", "p:1");
        Assert.Equal(("2+2=", false, "4"), (plain.Prompt, plain.IsChat, plain.Field("answer")));
        var chat = PromptDataset.Parse($"{{\"prompt\": [{User("hi")}]}}", "p:2", Chat);
        Assert.Equal(Chat.Render([new("user", "hi")], addGenerationPrompt: true), chat.Prompt);
        Assert.True(chat.IsChat);
        // A "messages" conversation that ends with the assistant's answer prompts with what comes before it.
        var messages = PromptDataset.Parse($"{{\"messages\": [{User("hi")}, {Assistant("yo")}]}}", "p:3", Chat);
        Assert.Equal(chat.Prompt, messages.Prompt);
    }

    [Fact]
    public void ConversationalRecordsWithoutATemplateNameTheRecord()
    {
        var e = Assert.Throws<InvalidDataException>(() => PromptDataset.Parse($"{{\"prompt\": [{User("hi")}]}}", "p.jsonl:4"));
        Assert.StartsWith("p.jsonl:4:", e.Message, StringComparison.Ordinal);
        Assert.Contains("chat template", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TemplateFailuresNameTheRecordAndPartsReachTheTemplate()
    {
        var strict = ChatTemplate.FromJinja(
            "{% if messages[0]['role'] != 'user' %}{{ raise_exception('Conversations must start with the user') }}{% endif %}" +
            "{% for m in messages %}{% if m.content is string %}{{ m.content }}{% else %}{% for p in m.content %}[{{ p.text }}]{% endfor %}{% endif %}|{% endfor %}",
            null, null, "strict.jinja");
        var e = Assert.Throws<InvalidDataException>(() => PromptDataset.Parse("{\"prompt\": [{\"role\": \"system\", \"content\": \"s\"}]}", "p.jsonl:9", strict));
        Assert.StartsWith("p.jsonl:9:", e.Message, StringComparison.Ordinal);
        Assert.Contains("Conversations must start with the user", e.Message, StringComparison.Ordinal);
        var parts = PromptDataset.Parse("{\"prompt\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"a\"}, {\"type\": \"text\", \"text\": \"b\"}]}]}", "p:1", strict);
        Assert.Equal("[a][b]|", parts.Prompt);
    }

    [Theory]
    [InlineData("{\"prompt\": [{\"role\": \"user\", \"content\": 5}]}", "message 0")]
    [InlineData("{\"prompt\": [{\"content\": \"x\"}]}", "message 0")]
    [InlineData("{\"prompt\": 7}", "\"prompt\"")]
    [InlineData("{\"question\": \"x\"}", "\"prompt\"")]
    [InlineData("{\"prompt\": \"a\", \"prompt\": \"b\"}", "not valid JSON")]
    [InlineData("[1, 2]", "expected a JSON object")]
    public void BadPromptRecordsAreReportedWithTheirLine(string line, string expected)
    {
        string path = Write("bad.jsonl", "{\"prompt\": \"fine\"}", "", line);
        var e = Assert.Throws<InvalidDataException>(() => PromptDataset.Load(path, Chat));
        Assert.StartsWith($"{path}:3:", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SftLanguageModellingAndPromptCompletionRecords()
    {
        Assert.Equal(new SftExample("", "Once upon a time"), SftDataset.Parse("{\"text\": \"Once upon a time\"}", "s:1"));
        Assert.Equal(new SftExample("Q: 1+1?", " 2"), SftDataset.Parse("{\"prompt\": \"Q: 1+1?\", \"completion\": \" 2\"}", "s:2"));
        var chat = SftDataset.Parse($"{{\"prompt\": [{User("1+1?")}], \"completion\": [{Assistant("2")}]}}", "s:3", Chat);
        Assert.Equal(new SftExample(Chat.Render([new("user", "1+1?")], addGenerationPrompt: true), "2<|im_end|>\n", IsChat: true), chat);
        var e = Assert.Throws<InvalidDataException>(() => SftDataset.Parse($"{{\"prompt\": \"1+1?\", \"completion\": [{Assistant("2")}]}}", "s:4", Chat));
        Assert.StartsWith("s:4:", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<InvalidDataException>(() => SftDataset.Parse($"{{\"messages\": [{User("a")}, {Assistant("b")}, {User("c")}]}}", "s:5", Chat));
        Assert.Contains("final assistant message", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SftTrainerTrainsOnTextRecordsWithoutBos()
    {
        var tok = TinySetup.Tokenizer(); // byte-level, no BOS: the first token of the text becomes the context
        var examples = new[] { SftDataset.Parse("{\"text\": \"say 3 letters: abc\"}", "s:1") };
        var trainer = new SftTrainer(TinySetup.Model(tok), tok, examples, new SftOptions { Steps = 3, BatchSize = 1 });
        Assert.True(double.IsFinite(trainer.Train()));
        var empty = new[] { SftDataset.Parse("{\"text\": \"\"}", "s:2") };
        Assert.Throws<ArgumentException>(() => new SftTrainer(TinySetup.Model(tok), tok, empty, new SftOptions { Steps = 1 }));
    }

    [Fact]
    public void PreferenceRecordsWithExplicitPrompt()
    {
        var plain = PreferenceDataset.Parse("{\"prompt\": \"Sky is\", \"chosen\": \" blue\", \"rejected\": \" green\"}", "d:1");
        Assert.Equal(("Sky is", " blue", " green", false), (plain.Prompt.Prompt, plain.Chosen, plain.Rejected, plain.EndsTurn));
        var chat = PreferenceDataset.Parse($"{{\"prompt\": [{User("Sky?")}], \"chosen\": [{Assistant("blue")}], \"rejected\": [{Assistant("green")}]}}", "d:2", Chat);
        Assert.Equal(Chat.Render([new("user", "Sky?")], addGenerationPrompt: true), chat.Prompt.Prompt);
        Assert.Equal(("blue<|im_end|>\n", "green<|im_end|>\n", true), (chat.Chosen, chat.Rejected, chat.EndsTurn));
    }

    [Fact]
    public void PreferenceRecordsWithImplicitPrompt()
    {
        var chat = PreferenceDataset.Parse(
            $"{{\"chosen\": [{User("Sky?")}, {Assistant("blue")}], \"rejected\": [{User("Sky?")}, {Assistant("green")}]}}", "d:1", Chat);
        Assert.Equal(Chat.Render([new("user", "Sky?")], addGenerationPrompt: true), chat.Prompt.Prompt);
        Assert.True(chat.Prompt.IsChat);
        Assert.Equal(("blue<|im_end|>\n", "green<|im_end|>\n"), (chat.Chosen, chat.Rejected));
        // Plain text: the shared start is the prompt, and the completions keep their leading space.
        var plain = PreferenceDataset.Parse("{\"chosen\": \"The sky is blue.\", \"rejected\": \"The sky is green.\"}", "d:2");
        Assert.Equal(("The sky is", " blue.", " green."), (plain.Prompt.Prompt, plain.Chosen, plain.Rejected));
        var e = Assert.Throws<InvalidDataException>(() => PreferenceDataset.Parse("{\"chosen\": \"abc\", \"rejected\": \"xyz\"}", "d:3"));
        Assert.Contains("no implicit prompt", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<InvalidDataException>(() => PreferenceDataset.Parse(
            $"{{\"chosen\": [{User("a")}], \"rejected\": [{User("b")}]}}", "d:4", Chat));
        Assert.StartsWith("d:4:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonArrayFilesNameTheLineOfEachRecord()
    {
        string path = Path.Combine(dir, "prompts.json");
        File.WriteAllText(path, "[\n  {\"prompt\": \"a\"},\n  {\"prompt\": \"b\",\n   \"answer\": \"2\"},\n  {\"nothing\": 1}\n]\n");
        var e = Assert.Throws<InvalidDataException>(() => PromptDataset.Load(path));
        Assert.StartsWith($"{path}:5:", e.Message, StringComparison.Ordinal);
        File.WriteAllText(path, "[\n  {\"prompt\": \"a\"},\n  {\"prompt\": \"b\",\n   \"answer\": \"2\"}\n]\n");
        var records = PromptDataset.Load(path);
        Assert.Equal(["a", "b"], records.Select(r => r.Prompt));
        Assert.Equal([$"{path}:2", $"{path}:3"], records.Select(r => r.Source));
        Assert.Equal("2", records[1].Field("answer"));
        File.WriteAllText(path, "{\"prompt\": \"a\"}");
        Assert.Contains("array", Assert.Throws<InvalidDataException>(() => PromptDataset.Load(path)).Message, StringComparison.Ordinal);
    }

    public sealed class Message
    {
        [JsonPropertyName("role")]
        public string? Role { get; set; }

        [JsonPropertyName("content")]
        public string? Content { get; set; }
    }

    public sealed class PreferenceRow
    {
        [JsonPropertyName("chosen")]
        public List<Message>? Chosen { get; set; }

        [JsonPropertyName("rejected")]
        public List<Message>? Rejected { get; set; }

        [JsonPropertyName("id")]
        public long Id { get; set; }
    }

    [Fact]
    public async Task ParquetRowsWithNestedConversationsAreRead()
    {
        static List<Message> Turns(string answer) => [new() { Role = "user", Content = "Sky?" }, new() { Role = "assistant", Content = answer }];
        PreferenceRow[] rows = [new() { Chosen = Turns("blue"), Rejected = Turns("green"), Id = 7 }, new() { Chosen = Turns("azure"), Rejected = Turns("red"), Id = 8 }];
        string path = Path.Combine(dir, "pairs.parquet");
        await ParquetSerializer.SerializeAsync(rows, path);
        var pairs = PreferenceDataset.Load(path, Chat);
        Assert.Equal(2, pairs.Count);
        Assert.Equal(("azure<|im_end|>\n", "red<|im_end|>\n"), (pairs[1].Chosen, pairs[1].Rejected));
        Assert.Equal($"{path}:row 2", pairs[1].Source);
        Assert.Equal("8", pairs[1].Prompt.Field("id"));
        File.WriteAllText(path, "not parquet");
        var e = Assert.Throws<InvalidDataException>(() => PreferenceDataset.Load(path, Chat));
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
    }
}
