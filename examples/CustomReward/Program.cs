// Rebel from C#: a reward written in C#, a Hugging Face model folder, and REBEL for two iterations, writing what `rebel train`
// writes (hyperparameters.json, metrics.jsonl, checkpoint/, report.html) plus the trained policy/.
//   dotnet run -c Release --project examples/CustomReward -- [OUT_DIR] [MODEL_DIR]
// Without MODEL_DIR it first writes a tiny random-weight GPT-2 folder to OUT_DIR/tiny-model to stand in for your model.
using Rebel.Models;
using Rebel.Models.Pretrained;
using Rebel.Models.Tokenization;
using Rebel.Tensors;
using Rebel.Training;
using Rebel.Training.Data;
using Rebel.Training.Reporting;
using Rebel.Training.Rewards;

string outDir = args.Length > 0 ? args[0] : Path.Combine("runs", "custom-reward");
string modelDir = args.Length > 1 ? args[1] : TinyModel.Write(Path.Combine(outDir, "tiny-model"));

// The model folder: config.json, *.safetensors and tokenizer.json.
var tokenizer = BpeTokenizer.LoadFolder(modelDir);
var policy = HfModelLoader.Load(modelDir);

// Prompts as TRL's prompt-only records (PromptDataset.Load reads the same from .jsonl, .json or .parquet); the other fields
// of a record, here "letter", reach the reward.
var prompts = "aeiou".Select((letter, i) => PromptDataset.Parse(
    $$"""{"prompt": "Write the letter {{letter}} many times:", "letter": "{{letter}}"}""", $"example:{i + 1}")).ToList();

// REBEL: each iteration samples 4 completions for each of 4 prompts, pairs the best with the worst and regresses.
var options = new RebelOptions
{
    Iterations = 2, PromptsPerIteration = 4, CompletionsPerPrompt = 4, MaxNewTokens = 16,
    LearningRate = 3e-4f, KlCoefficient = 0.01f, Epochs = 2, MiniBatchPairs = 4,
};
var trainer = new RebelTrainer(policy, tokenizer, prompts, new LetterReward(), options, outDir)
{
    IterationCompleted = r => Console.WriteLine($"iteration {r.Iteration}: score {r.Metrics["objective/scores"]:F3}, kl {r.Metrics["objective/kl"]:F4}"),
};
trainer.Train();

HfModelSaver.Save(policy, Path.Combine(outDir, "policy"), tokenizer: tokenizer);
HtmlReport.Write(Path.Combine(outDir, "report.html"), "REBEL with a C# reward", [("iterations", $"{trainer.Iteration}")],
    trainer.Metrics.Rows, ["objective/scores", "objective/kl"], []);
Console.WriteLine($"Wrote {Path.GetFullPath(outDir)} (hyperparameters.json, metrics.jsonl, report.html, checkpoint/, policy/).");

/// <summary>The share of the completion's characters that are the prompt's "letter" field; a completion cut off before EOS loses 0.5.</summary>
internal sealed class LetterReward : IReward
{
    public string Name => "letter";

    public float[] Score(IReadOnlyList<RewardQuery> queries) =>
        [.. queries.Select(q =>
        {
            char letter = q.Prompt.Field("letter")![0];
            float share = q.Completion.Length == 0 ? 0f : q.Completion.Count(c => c == letter) / (float)q.Completion.Length;
            return q.EndedWithEos ? share : share - 0.5f;
        })];
}

/// <summary>A random-weight GPT-2 folder of Rebel's "tiny" preset (about 1M parameters) with a synthetic byte-level tokenizer.</summary>
internal static class TinyModel
{
    public static string Write(string directory)
    {
        const int vocab = 512, eos = vocab - 1;
        var config = ModelConfig.Preset("tiny", vocab, maxPositions: 64) with { EosTokenIds = [eos], PadTokenId = eos };
        HfModelSaver.Save(ModelFactory.Create(config, new Rng(1)), directory, tokenizer: BpeTrainer.Synthetic(vocab, eos));
        return directory;
    }
}
