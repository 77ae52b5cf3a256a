using System.Text;
using Rebel.Cli;
using Rebel.Models.Pretrained;
using Rebel.Models.Tokenization;

namespace Rebel.Training.Tests;

/// <summary>Runs `rebel` in-process with Console.Out and Console.Error captured (tests using it share the "Console" collection).</summary>
internal static class CliHarness
{
    private static readonly Lock Gate = new();

    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        lock (Gate)
        {
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            var (sout, serr) = (new StringWriter(new StringBuilder()), new StringWriter(new StringBuilder()));
            Console.SetOut(sout);
            Console.SetError(serr);
            try
            {
                int code = RebelApp.Run(args);
                return (code, sout.ToString(), serr.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }
}

/// <summary>A temporary folder holding a tiny GPT-2 saved as a Hugging Face folder (model/) and a prompt file (prompts.jsonl).</summary>
public sealed class TinyModelFolder : IDisposable
{
    public TinyModelFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), $"rebel-cli-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Root);
        Tokenizer = TinySetup.Tokenizer();
        HfModelSaver.Save(TinySetup.Model(Tokenizer), ModelDir, tokenizer: Tokenizer);
        File.WriteAllLines(Prompts, Enumerable.Range(0, 6).Select(i => $"{{\"prompt\": \"say {i % 7} letters:\", \"answer\": \"{i % 7}\"}}"));
    }

    public string Root { get; }

    public BpeTokenizer Tokenizer { get; }

    public string ModelDir => Path.Combine(Root, "model");

    public string Prompts => Path.Combine(Root, "prompts.jsonl");

    public string PathOf(string name) => Path.Combine(Root, name);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
