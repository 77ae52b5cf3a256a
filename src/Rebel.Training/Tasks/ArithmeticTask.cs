// The built-in task of `rebel quickstart`: arithmetic word problems with exact answers, generated from a seed.
// Every problem is a (template, a, b) triple; held-out problems are triples never used for training.
using System.Globalization;
using System.Text.Json.Nodes;
using Rebel.Tensors;
using Rebel.Training.Data;

namespace Rebel.Training.Tasks;

/// <summary>One word problem: the prompt text and its exact numeric answer.</summary>
public sealed record ArithmeticProblem(string Question, int Answer)
{
    /// <summary>The prompt given to the model ("Q: … A:").</summary>
    public string Prompt => $"Q: {Question}\nA:";

    /// <summary>The supervised completion (" 42"; the trainer appends EOS).</summary>
    public string Completion => " " + Answer.ToString(CultureInfo.InvariantCulture);

    /// <summary>As a prompt record with an "answer" field for the exact reward.</summary>
    public PromptRecord ToRecord(string source) =>
        new(Prompt, new JsonObject { ["prompt"] = Prompt, ["answer"] = Answer.ToString(CultureInfo.InvariantCulture) }, source);
}

/// <summary>Generates train and held-out splits of arithmetic word problems.</summary>
public static class ArithmeticTask
{
    // Few names and items: more surface variety slows a small model's learning far beyond the quickstart's time budget.
    private static readonly string[] Names = ["Ann", "Ben", "Cara"];
    private static readonly string[] Items = ["apple", "pen", "coin"];

    private delegate (string Question, int Answer) Template(string name, string item, int a, int b);

    private static readonly Template[] Templates =
    [
        (n, it, a, b) => ($"{n} has {a} {it}s and gets {b} more. How many now?", a + b),
        (n, it, a, b) => ($"A box has {a} {it}s. {n} adds {b}. How many now?", a + b),
    ];

    /// <summary>The first operand a is in [0, 100).</summary>
    public const int FirstOperands = 100;

    /// <summary>The second operand b is in [1, 10): one carry at most, so a small model can learn the task in minutes.</summary>
    public const int SecondOperands = 10;

    /// <summary>
    /// Splits every (template, a, b) triple by a seeded hash: <paramref name="heldOut"/> triples for evaluation, the rest for
    /// training. Names and items are drawn per problem from <paramref name="seed"/>.
    /// </summary>
    public static (List<ArithmeticProblem> Train, List<ArithmeticProblem> HeldOut) Generate(ulong seed, int heldOut)
    {
        var rng = new Rng(seed);
        var all = new List<ArithmeticProblem>();
        for (int t = 0; t < Templates.Length; t++)
            for (int a = 0; a < FirstOperands; a++)
                for (int b = 1; b < SecondOperands; b++)
                {
                    var (q, ans) = Templates[t](Names[rng.NextInt(Names.Length)], Items[rng.NextInt(Items.Length)], a, b);
                    all.Add(new ArithmeticProblem(q, ans));
                }
        for (int i = all.Count - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (all[i], all[j]) = (all[j], all[i]);
        }
        if (heldOut <= 0 || heldOut >= all.Count) throw new ArgumentException($"ArithmeticTask: held-out size {heldOut} must be in 1..{all.Count - 1}.");
        return (all.GetRange(heldOut, all.Count - heldOut), all.GetRange(0, heldOut));
    }
}
