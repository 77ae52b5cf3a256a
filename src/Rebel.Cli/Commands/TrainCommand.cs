// `rebel train`: REBEL (or a baseline chosen with --algo) on your own model folder, prompt file and reward; writes metrics, report, checkpoint and the policy.
using System.CommandLine;
using Rebel.Models.Sampling;
using Rebel.Training;
using Rebel.Training.Data;
using Rebel.Training.Reporting;
using Rebel.Training.Rewards;
using Rebel.Training.Rollouts;
using Spectre.Console;

namespace Rebel.Cli.Commands;

/// <summary>Builds the train command.</summary>
internal static class TrainCommand
{
    private static readonly string[] Curves = ["objective/scores", "objective/kl", "loss/policy_avg", "objective/entropy"];

    /// <summary>
    /// The train command; with <paramref name="only"/> (an algorithm's name, for `rebel train --algo NAME --help`) its flags are that
    /// algorithm's alone, with that algorithm's defaults.
    /// </summary>
    public static Command Create(string? only = null)
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model folder (config.json, *.safetensors, tokenizer.json).", Required = true };
        var prompts = CommonFlags.Data(CommonFlags.PromptsHelp, "--prompts");
        var reward = new Option<string[]>("--reward") { Description = $"Reward: {RewardSpec.Forms}. Repeat for several (their weighted sum, each logged as rewards/NAME/mean).", Required = true };
        var rewardWeights = new Option<string?>("--reward-weights") { Description = "Comma-separated weight per --reward, e.g. 1,0.5 (TRL reward_weights). Default 1 each." };
        var output = CommonFlags.Out(Path.Combine("runs", "train"));
        var resume = new Option<string?>("--resume") { Description = "Checkpoint folder to continue from (e.g. runs/train/checkpoint)." };
        var config = CommonFlags.Config();
        var rewardTimeout = RewardTimeoutFlag.Create();
        var evalPrompts = new Option<string?>("--eval-data", "--eval-prompts") { Description = "Prompts scored greedily before and after training (reported in report.html)." };
        var chat = ModelFolder.ChatTemplateOption();
        var algoOption = new Option<string>("--algo") { Description = $"Algorithm: {string.Join(", ", Algorithms.Names)}.", DefaultValueFactory = _ => "rebel" }.AcceptOnlyFromAmong([.. Algorithms.Names]);
        if (only is not null && !Algorithms.Names.Contains(only)) only = null;
        var shown = only is null ? Algorithms.All : [Algorithms.Find(only)];
        var flags = new OptionFlags([.. shown.Select(a => (a.Name, (object)a.Defaults))]);
        var lora = new LoraFlags();
        string about = only is null ? "Fine-tune a model with REBEL (or --algo ppo|rloo|reinforce|grpo|online-dpo) on a prompt file and a reward."
            : $"Fine-tune a model with --algo {only} on a prompt file and a reward; the options below are {only}'s, with its defaults.";
        var device = CommonFlags.Device();
        var cmd = new Command("train", about + " Writes metrics.jsonl, report.html, checkpoint/ and model/ (policy/: a link to it, the former name; with --lora-*: adapter/) to --out. `rebel train --algo NAME --help` lists one algorithm's options.")
        {
            model, prompts, reward, rewardWeights, output, resume, config, evalPrompts, chat, algoOption, rewardTimeout, device,
        };
        foreach (var f in flags.All) cmd.Options.Add(f);
        foreach (var f in lora.All) cmd.Options.Add(f);
        flags.All.Single(f => f.Name == "--max-new-tokens").Description += " Not given: the default, or what the model's context leaves after the longest prompt when less.";
        cmd.SetGuardedAction(parse =>
        {
            CommonFlags.OpenDevice(parse, device);
            var algorithm = Algorithms.Find(parse.GetValue(algoOption)!);
            if (flags.Misplaced(parse, algorithm.OptionsType, algorithm.Name) is { } misplaced) throw new ArgumentException($"{misplaced} See rebel train --algo {algorithm.Name} --help.");
            var options = flags.Read(parse, algorithm.Defaults);
            var folder = ModelFolder.Load(parse.GetValue(model)!, lora.BaseInBf16(parse));
            string? template = parse.GetValue(chat);
            var records = folder.LoadPrompts(parse.GetValue(prompts)!, template);
            var held = parse.GetValue(evalPrompts) is { } ep ? folder.LoadPrompts(ep, template) : null;
            int? typedLength = flags.Typed(parse, nameof(options.MaxNewTokens)) ? options.MaxNewTokens : null;
            options = options with { MaxNewTokens = ContextBudget.MaxNewTokens(folder.Model.Config, folder.Tokenizer, held is null ? records : records.Concat(held), typedLength, algorithm.Defaults.MaxNewTokens, "--max-new-tokens") };
            lora.Attach(parse, folder.Model, options.Seed);
            CommonFlags.MoveToDevice(parse, device, folder.Model);
            string outDir = parse.GetValue(output)!;
            using var spec = RewardSpec.Parse(parse.GetValue(reward)!, RewardWeights(parse.GetValue(rewardWeights)), folder.Tokenizer, RewardTimeoutFlag.Read(parse, rewardTimeout));
            RewardProbe.Check(spec.Reward, spec.Preference, records[0]);
            var trainer = algorithm.Create(new TrainerInputs(folder.Model, folder.Tokenizer, records, spec.Reward, outDir, spec.Preference), options);
            return Train(folder, records, held, spec, algorithm.Name, trainer, outDir, parse.GetValue(resume));
        });
        return cmd;
    }

    private static float[]? RewardWeights(string? text) => text?.Split(',').Select(w =>
        float.TryParse(w, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && float.IsFinite(v) ? v
            : throw new ArgumentException($"--reward-weights: '{w}' is not a number (expected e.g. 1,0.5).")).ToArray();

    private static int Train(ModelFolder folder, IReadOnlyList<PromptRecord> records, IReadOnlyList<PromptRecord>? held, RewardSpec spec, string algo,
        LanguagePolicyTrainer trainer, string outDir, string? resume)
    {
        var options = trainer.Settings;
        Directory.CreateDirectory(outDir);
        trainer.ExportPolicy = dir => LoraFlags.Export(folder, dir);
        if (resume is not null) trainer.LoadCheckpoint(resume);
        var greedy = new SamplingOptions { Temperature = 0, MaxNewTokens = options.MaxNewTokens, EosTokenIds = folder.EosIds };
        EvaluationResult? Evaluate() => held is not null && spec.Reward is not null
            ? Evaluation.Run(folder.Model, folder.Tokenizer, held, spec.Reward, greedy, options.Seed) : null;
        var before = Evaluate();
        IterationResult<Rollout>? last = null;
        using (var ctrlC = new CtrlC(spec))
        {
            try
            {
                ProgressDisplay.Run(progress =>
                {
                    progress.Phase(algo, options.Iterations);
                    if (trainer.Iteration > 0) progress.Step(trainer.Iteration, $"resumed from {resume}");
                    trainer.IterationCompleted = r =>
                    {
                        last = r;
                        progress.Step(r.Iteration, $"score {r.Metrics["objective/scores"]:F3} kl {r.Metrics["objective/kl"]:F3}");
                    };
                    trainer.Train(ctrlC.Token);
                    return 0;
                });
            }
            catch (OperationCanceledException)
            {
                trainer.SaveCheckpoint(Path.Combine(outDir, "checkpoint"));
                Console.Error.WriteLine($"Interrupted after iteration {trainer.Iteration}; resume with --resume {Path.Combine(outDir, "checkpoint")}");
                return 130;
            }
        }
        string policyDir = LoraFlags.SavePolicy(folder, outDir, formerName: "policy");
        var after = Evaluate();
        WriteReport(outDir, folder, spec, algo, trainer, before, after, last);
        var table = new Table().AddColumn("metric").AddColumn("value");
        foreach (var (name, value) in Summary(folder, spec, algo, trainer, before, after)) table.AddRow(Markup.Escape(name), Markup.Escape(value));
        var console = Terminal.Out;
        console.Write(table);
        console.MarkupLine($"Wrote [green]{Markup.Escape(Path.GetFullPath(outDir))}[/] (metrics.jsonl, report.html, checkpoint/, {policyDir}/).");
        return 0;
    }

    private static List<(string, string)> Summary(ModelFolder folder, RewardSpec spec, string algo, LanguagePolicyTrainer trainer, EvaluationResult? before, EvaluationResult? after)
    {
        var rows = new List<(string, string)> { ("algorithm", algo), ("model", folder.Directory), ("reward", spec.Text), ("iterations", $"{trainer.Iteration}") };
        if (trainer.Metrics.Rows.Count > 0)
        {
            var m = trainer.Metrics.Rows[^1];
            rows.Add(("score (last iteration)", $"{m["objective/scores"]:F4}"));
            rows.Add(("KL to reference (last iteration)", $"{m["objective/kl"]:F4}"));
        }
        if (before is not null) rows.Add(("held-out mean reward before", $"{before.MeanScore:F4}"));
        if (after is not null) rows.Add(("held-out mean reward after", $"{after.MeanScore:F4}"));
        return rows;
    }

    private static void WriteReport(string outDir, ModelFolder folder, RewardSpec spec, string algo, LanguagePolicyTrainer trainer,
        EvaluationResult? before, EvaluationResult? after, IterationResult<Rollout>? last)
    {
        var samples = after is not null
            ? after.Samples.Take(20).Select((s, i) => (s.Prompt, s.Completion, s.Score, before?.Samples[i].Completion)).ToList()
            : (last?.Samples ?? []).Select(r => (r.Prompt.Prompt, r.Text, r.Score, (string?)null)).ToList();
        HtmlReport.Write(Path.Combine(outDir, "report.html"), $"rebel train --algo {algo}: {Path.GetFileName(Path.GetFullPath(folder.Directory))}",
            Summary(folder, spec, algo, trainer, before, after), trainer.Metrics.Rows, Curves, samples);
    }
}
