// `rebel template`: what a model folder's chat template renders for a conversation (needs only the tokenizer files).
using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rebel.Models.Tokenization;

namespace Rebel.Cli.Commands;

/// <summary>Builds the template command.</summary>
internal static class TemplateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder with tokenizer_config.json and/or chat_template.jinja (weights not needed).", Required = true };
        var messages = new Option<string>("--messages") { Description = "JSON file: a list of {\"role\", \"content\"} or {\"messages\": [...]}.", Required = true };
        var generation = new Option<bool>("--add-generation-prompt") { Description = "End with the assistant header, as for sampling." };
        var json = new Option<bool>("--json") { Description = "Print {\"text\": ...} only." };
        var chat = ModelFolder.ChatTemplateOption();
        var cmd = new Command("template", "Render a conversation with a model's chat template.") { model, messages, generation, json, chat };
        cmd.SetGuardedAction(parse =>
        {
            string directory = parse.GetValue(model)!;
            if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Model folder '{directory}' does not exist.");
            var template = ChatTemplate.ForFolder(directory, parse.GetValue(chat))
                ?? throw new InvalidDataException($"'{directory}' has no chat template (no chat_template.jinja, no chat_template in tokenizer_config.json); pass --chat-template.");
            var conversation = ReadMessages(parse.GetValue(messages)!);
            string text = template.RenderJson(conversation, parse.GetValue(generation));
            Console.Out.Write(parse.GetValue(json) ? JsonSerializer.Serialize(new { text }, JsonOutput.Line) + "\n" : text);
            return 0;
        });
        return cmd;
    }

    private static JsonArray ReadMessages(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Messages file '{path}' does not exist.", path);
        try
        {
            return ChatTemplate.ParseMessageArray(File.ReadAllText(path));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
