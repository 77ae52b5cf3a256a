// `rebel score`: ln p(token_t | tokens_<t) of every token after the first, under a model folder.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Rebel.Models;
using Rebel.Tensors;
using Spectre.Console;

namespace Rebel.Cli.Commands;

/// <summary>Builds the score command.</summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model folder.", Required = true };
        var text = new Option<string?>("--text") { Description = "Text to score (encoded with the model's tokenizer, special tokens added)." };
        var ids = new Option<string?>("--ids") { Description = "Token ids to score, comma-separated (e.g. 1,2,3)." };
        var json = new Option<bool>("--json") { Description = "Print {\"ids\":[...],\"logprobs\":[...]} (logprobs has one fewer element: the first token has no context)." };
        var adapter = LoraFlags.AdapterOption();
        var device = CommonFlags.Device();
        var cmd = new Command("score", "Log-probability of each token given those before it.") { model, text, ids, json, adapter, device };
        cmd.Validators.Add(r =>
        {
            if ((r.GetValue(text) is null) == (r.GetValue(ids) is null)) r.AddError("Give exactly one of --text and --ids.");
        });
        cmd.SetGuardedAction(parse =>
        {
            CommonFlags.OpenDevice(parse, device);
            // --ids needs only the weights: a folder without tokenizer files can be scored.
            string dir = parse.GetValue(model)!;
            var tokenizer = parse.GetValue(text) is not null || ModelFolder.HasTokenizer(dir) ? ModelFolder.LoadTokenizer(dir) : null;
            var languageModel = ModelFolder.LoadModel(dir);
            LoraFlags.ApplyAdapter(languageModel, parse.GetValue(adapter));
            CommonFlags.MoveToDevice(parse, device, languageModel);
            int[] tokens = parse.GetValue(text) is { } t ? tokenizer!.Encode(t) : ParseIds(parse.GetValue(ids)!);
            var logprobs = LogProbs(languageModel, tokens);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine($"{{\"ids\":{JsonSerializer.Serialize(tokens)},\"logprobs\":{JsonSerializer.Serialize(logprobs)}}}");
                return 0;
            }
            var table = new Table().AddColumn("#").AddColumn("id").AddColumn("text").AddColumn("logprob");
            for (int i = 0; i < tokens.Length; i++)
                table.AddRow($"{i}", $"{tokens[i]}", tokenizer is null ? "" : Markup.Escape(JsonSerializer.Serialize(tokenizer.Decode([tokens[i]]), JsonOutput.Line)),
                    i == 0 ? "" : logprobs[i - 1].ToString("F4", CultureInfo.InvariantCulture));
            var console = Terminal.Out;
            console.Write(table);
            console.WriteLine($"sum {logprobs.Sum():F4} over {logprobs.Length} tokens");
            return 0;
        });
        return cmd;
    }

    private static int[] ParseIds(string list)
    {
        var parts = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return [.. parts.Select(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? id
            : throw new FormatException($"--ids: '{p}' is not an integer token id."))];
    }

    /// <summary>ln p(ids[t] | ids[..t]) for t = 1 … T−1.</summary>
    private static float[] LogProbs(LanguageModel model, int[] ids)
    {
        var config = model.Config;
        if (ids.Length == 0) throw new ArgumentException("Nothing to score: no tokens.");
        if (ids.Length > config.MaxPositions) throw new ArgumentException($"{ids.Length} tokens exceed the model's context of {config.MaxPositions}: score at most {config.MaxPositions} tokens at a time.");
        foreach (var id in ids)
            if ((uint)id >= (uint)config.VocabSize) throw new ArgumentException($"Token id {id} is outside the vocabulary of {config.VocabSize}.");
        int time = ids.Length;
        var targets = new int[time];
        for (int t = 0; t < time; t++) targets[t] = t + 1 < time ? ids[t + 1] : -100;
        using var noGrad = Autograd.NoGrad();
        using var scope = new TensorScope();
        var logits = model.Forward(ids, 1, time); // (1, T, V)
        var logp = Ops.ToHost(Ops.GatherLogProbs(logits, targets)).Span; // (1, T), last position ignored
        return logp[..(time - 1)].ToArray();
    }
}
