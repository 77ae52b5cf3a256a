// Regression tests for bad dataset records found by fuzzing (issue 18): each is an InvalidDataException naming the file and line.
using System.Text;
using Rebel.Models.Tokenization;
using Rebel.Training.Data;

namespace Rebel.Training.Tests;

public sealed class MalformedDataTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("rebel-malformed-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Duplicate_key_in_a_jsonl_record_names_the_line()
    {
        string path = Write("p.jsonl", "{\"prompt\": \"a\"}\n{\"prompt\": \"b\", \"prompt\": \"c\"}\n");
        var e = Assert.Throws<InvalidDataException>(() => PromptDataset.Load(path));
        Assert.Contains($"{path}:2", e.Message);
    }

    [Fact]
    public void Lone_surrogate_escape_in_a_record_names_the_line()
    {
        string path = Write("p.jsonl", "{\"prompt\": \"a\\ud800\"}\n");
        var e = Assert.Throws<InvalidDataException>(() => PromptDataset.Load(path));
        Assert.Contains($"{path}:1", e.Message);
    }

    [Fact]
    public void Message_content_that_is_a_number_names_the_line()
    {
        string path = Write("p.jsonl", "{\"prompt\": [{\"role\": \"user\", \"content\": 5}]}\n");
        var e = Assert.Throws<InvalidDataException>(() => PromptDataset.Load(path, ChatTemplate.ChatMl));
        Assert.Contains($"{path}:1", e.Message);
    }

    [Fact]
    public void Invalid_utf8_in_a_jsonl_file_names_the_file()
    {
        string path = Path.Combine(dir, "p.jsonl");
        File.WriteAllBytes(path, [.. "{\"prompt\": \"a\"}\n{\"prompt\": \""u8, 0xC3, 0x28, .. "\"}\n"u8]);
        var e = Assert.Throws<InvalidDataException>(() => PromptDataset.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("UTF-8", e.Message);
    }

    [Fact]
    public void Duplicate_key_in_a_json_array_record_names_the_line()
    {
        string path = Write("p.json", "[\n{\"prompt\": \"a\"},\n{\"prompt\": \"b\", \"prompt\": \"c\"}\n]");
        var e = Assert.Throws<InvalidDataException>(() => PromptDataset.Load(path));
        Assert.Contains($"{path}:3", e.Message);
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }
}
