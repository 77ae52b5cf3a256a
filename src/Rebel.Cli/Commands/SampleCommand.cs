// `rebel sample`: completions of one prompt from a model folder.
using System.CommandLine;
using System.Text.Json.Nodes;
using Rebel.Models.Sampling;
using Rebel.Tensors;
using Rebel.Training.Data;

namespace Rebel.Cli.Commands;

/// <summary>Builds the sample command.</summary>
internal static class SampleCommand
{
    /// <summary>Most new tokens of sample and eval when --max-new-tokens is not given (and the model's context leaves that many).</summary>
    internal const int DefaultMaxNewTokens = 64;

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model folder.", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Prompt text (encoded with the model's tokenizer, special tokens added).", Required = true };
        var maxNew = new Option<int?>("--max-new-tokens", "--max-completion-length") { Description = $"Most new tokens (default {DefaultMaxNewTokens}, or what the model's context leaves after the prompt when less)." };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature (0 = greedy).", DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens (0 = all)." };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass (1 = all).", DefaultValueFactory = _ => 1f };
        var seed = new Option<ulong>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1UL };
        var stop = new Option<string[]>("--stop") { Description = "Stop once the completion contains this text (repeatable)." };
        var num = new Option<int>("--num") { Description = "Number of completions.", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "One JSON line per completion: {\"prompt\",\"completion\",\"tokens\",\"logprobs\"}." };
        var adapter = LoraFlags.AdapterOption();
        var config = CommonFlags.Config();
        var device = CommonFlags.Device();
        var cmd = new Command("sample", "Generate completions of a prompt.") { model, prompt, maxNew, temperature, topK, topP, seed, stop, num, json, adapter, config, device };
        cmd.SetGuardedAction(parse =>
        {
            CommonFlags.OpenDevice(parse, device);
            var folder = ModelFolder.Load(parse.GetValue(model)!);
            LoraFlags.ApplyAdapter(folder.Model, parse.GetValue(adapter));
            CommonFlags.MoveToDevice(parse, device, folder.Model);
            string text = parse.GetValue(prompt)!;
            int n = parse.GetValue(num);
            if (n < 1) throw new ArgumentException($"--num must be at least 1, got {n}.");
            var stops = parse.GetValue(stop) ?? [];
            var ids = folder.Tokenizer.Encode(text);
            if (ids.Length == 0) throw new ArgumentException("The prompt encodes to no tokens.");
            var options = new SamplingOptions
            {
                MaxNewTokens = ContextBudget.MaxNewTokens(folder.Model.Config, ids.Length, "the prompt", parse.GetValue(maxNew), DefaultMaxNewTokens, "--max-new-tokens"), Temperature = parse.GetValue(temperature), TopK = parse.GetValue(topK), TopP = parse.GetValue(topP),
                EosTokenIds = folder.EosIds, Stop = stops.Length > 0 ? StopStrings.Create(folder.Tokenizer, stops) : null,
            };
            var gens = Sampler.Generate(folder.Model, [.. Enumerable.Repeat(ids, n)], options, new Rng(parse.GetValue(seed)));
            bool asJson = parse.GetValue(json);
            for (int i = 0; i < gens.Length; i++)
            {
                var g = gens[i];
                string completion = folder.Tokenizer.Decode(g.EndedWithEos ? g.Tokens.AsSpan(0, g.Tokens.Length - 1) : g.Tokens, skipSpecialTokens: true);
                if (asJson)
                {
                    var line = new JsonObject
                    {
                        ["prompt"] = text, ["completion"] = completion,
                        ["tokens"] = new JsonArray([.. g.Tokens.Select(t => (JsonNode)t)]),
                        ["logprobs"] = new JsonArray([.. g.LogProbs.Select(l => (JsonNode)l)]),
                    };
                    Console.Out.WriteLine(line.ToJsonString(JsonOutput.Line));
                }
                else
                {
                    if (n > 1) Console.Out.WriteLine($"--- completion {i + 1} ({g.Tokens.Length} tokens{(g.EndedWithEos ? ", EOS" : "")}) ---");
                    Console.Out.WriteLine(text + completion);
                }
            }
            return 0;
        });
        return cmd;
    }
}
