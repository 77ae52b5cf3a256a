// `rebel eval`: mean reward of a model's completions (greedy by default) on a prompt file, with per-prompt results.
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Rebel.Models.IO;
using Rebel.Models.Sampling;
using Rebel.Training;
using Rebel.Training.Data;
using Rebel.Training.Rewards;
using Spectre.Console;

namespace Rebel.Cli.Commands;

/// <summary>Builds the eval command.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model folder.", Required = true };
        var prompts = CommonFlags.Data(CommonFlags.PromptsHelp, "--prompts");
        var reward = new Option<string>("--reward") { Description = $"Reward: {RewardSpec.Forms.Replace(", pref:DIR (pairwise preference model)", "", StringComparison.Ordinal)}.", Required = true };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature (0 = greedy).", DefaultValueFactory = _ => 0f };
        var maxNew = new Option<int?>("--max-new-tokens", "--max-completion-length") { Description = $"Most new tokens per completion (default {SampleCommand.DefaultMaxNewTokens}, or what the model's context leaves after the longest prompt when less)." };
        var seed = new Option<ulong>("--seed") { Description = "Random seed (for temperature > 0).", DefaultValueFactory = _ => 1UL };
        var output = new Option<string?>("--out") { Description = "Write {\"mean_reward\", \"results\": [{\"prompt\",\"completion\",\"reward\"}]} to this JSON file." };
        var chat = ModelFolder.ChatTemplateOption();
        var adapter = LoraFlags.AdapterOption();
        var config = CommonFlags.Config();
        var rewardTimeout = RewardTimeoutFlag.Create();
        var device = CommonFlags.Device();
        var cmd = new Command("eval", "Score a model's completions on a prompt file with a reward: mean reward and per-prompt results. Ctrl-C stops it (exit 130), also while a cmd: program computes.")
        {
            model, prompts, reward, temperature, maxNew, seed, output, chat, adapter, config, rewardTimeout, device,
        };
        cmd.SetGuardedAction(parse =>
        {
            CommonFlags.OpenDevice(parse, device);
            var folder = ModelFolder.Load(parse.GetValue(model)!);
            LoraFlags.ApplyAdapter(folder.Model, parse.GetValue(adapter));
            CommonFlags.MoveToDevice(parse, device, folder.Model);
            var records = folder.LoadPrompts(parse.GetValue(prompts)!, parse.GetValue(chat));
            int length = ContextBudget.MaxNewTokens(folder.Model.Config, folder.Tokenizer, records, parse.GetValue(maxNew), SampleCommand.DefaultMaxNewTokens, "--max-new-tokens");
            using var spec = RewardSpec.Parse(parse.GetValue(reward)!, folder.Tokenizer, RewardTimeoutFlag.Read(parse, rewardTimeout));
            var scorer = spec.Reward ?? throw new ArgumentException("eval needs a scalar reward; a pref: preference model only compares pairs.");
            RewardProbe.Check(scorer, null, records[0]);
            var sampling = new SamplingOptions { Temperature = parse.GetValue(temperature), MaxNewTokens = length, EosTokenIds = folder.EosIds };
            EvaluationResult result;
            using (var ctrlC = new CtrlC(spec))
            {
                try
                {
                    result = Evaluation.Run(folder.Model, folder.Tokenizer, records, scorer, sampling, parse.GetValue(seed), cancel: ctrlC.Token);
                }
                catch (OperationCanceledException)
                {
                    Console.Error.WriteLine("Interrupted; nothing written.");
                    return 130;
                }
            }
            if (parse.GetValue(output) is { } path) Write(path, folder, spec, result);
            var table = new Table().AddColumn("#").AddColumn("prompt").AddColumn("completion").AddColumn("reward");
            foreach (var (s, i) in result.Samples.Select((s, i) => (s, i)).Take(20))
                table.AddRow($"{i + 1}", Markup.Escape(Shorten(s.Prompt)), Markup.Escape(Shorten(s.Completion)), s.Score.ToString("G4", CultureInfo.InvariantCulture));
            var console = Terminal.Out;
            console.Write(table);
            if (result.Samples.Count > 20) console.WriteLine($"… {result.Samples.Count - 20} more (use --out FILE.json for all).");
            console.MarkupLine($"mean reward [green]{result.MeanScore:F4}[/] over {result.Samples.Count} prompts ({Markup.Escape(spec.Text)})");
            return 0;
        });
        return cmd;
    }

    private static void Write(string path, ModelFolder folder, RewardSpec spec, EvaluationResult result)
    {
        var json = new JsonObject
        {
            ["model"] = folder.Directory,
            ["reward"] = spec.Text,
            ["mean_reward"] = result.MeanScore,
            ["count"] = result.Samples.Count,
            ["results"] = new JsonArray([.. result.Samples.Select(s => (JsonNode)new JsonObject { ["prompt"] = s.Prompt, ["completion"] = s.Completion, ["reward"] = s.Score })]),
        };
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        AtomicFile.WriteText(path, json.ToJsonString(JsonOutput.File) + "\n");
    }

    private static string Shorten(string s)
    {
        s = s.Replace("\n", "⏎", StringComparison.Ordinal);
        return s.Length <= 60 ? s : s[..60] + "…";
    }
}
