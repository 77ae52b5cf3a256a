// `rebel tokenize`: the token ids of a text under a model folder's tokenizer.
using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Rebel.Cli.Commands;

/// <summary>Builds the tokenize command.</summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder with tokenizer.json (and tokenizer_config.json).", Required = true };
        var text = new Option<string>("--text") { Description = "Text to encode.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print {\"ids\":[...]} only." };
        var noSpecial = new Option<bool>("--no-special-tokens") { Description = "Do not add the tokenizer's special tokens (BOS)." };
        var cmd = new Command("tokenize", "Encode a text with a model's tokenizer: ids and token strings.") { model, text, json, noSpecial };
        cmd.SetGuardedAction(parse =>
        {
            var tokenizer = ModelFolder.LoadTokenizer(parse.GetValue(model)!);
            var ids = tokenizer.Encode(parse.GetValue(text)!, addSpecialTokens: !parse.GetValue(noSpecial));
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine($"{{\"ids\":{JsonSerializer.Serialize(ids)}}}");
                return 0;
            }
            var table = new Table().AddColumn("#").AddColumn("id").AddColumn("token").AddColumn("text");
            for (int i = 0; i < ids.Length; i++)
                table.AddRow($"{i}", $"{ids[i]}", Markup.Escape(tokenizer.IdToToken(ids[i]) ?? "?"), Markup.Escape(JsonSerializer.Serialize(tokenizer.Decode([ids[i]]), JsonOutput.Line)));
            var console = Terminal.Out;
            console.Write(table);
            console.WriteLine($"{ids.Length} tokens");
            return 0;
        });
        return cmd;
    }
}
