// The fuzzing loop: for each case, copy a format's seed folder, mutate one file, load it through the public loaders under a
// timeout, and classify the outcome. Clean rejection: one of our documented exception types with a message naming the file.
// Crash: any other exception, a rejection that does not name the file, or a hang. Silent acceptance: a load of a file no valid
// writer could produce (must-reject mutations, non-finite weights), or one that loads differently twice or does not round-trip.
namespace Rebel.Fuzz;

/// <summary>How a case ended.</summary>
public enum Outcome
{
    /// <summary>Loaded, and loads the same twice and after a round trip through our writer.</summary>
    Accepted,

    /// <summary>Rejected with our own exception type and a message naming the file.</summary>
    Rejected,

    /// <summary>Any other exception, or a rejection that does not name the file.</summary>
    Crash,

    /// <summary>Did not finish within the per-case timeout.</summary>
    Hang,

    /// <summary>Corrupt data loaded without an error.</summary>
    Silent,
}

/// <summary>One case's result; <see cref="Detail"/> is the exception or the violated property.</summary>
public sealed record CaseResult(string Format, int Case, string File, string Mutation, Outcome Outcome, string Detail);

/// <summary>Runs cases of each format and counts outcomes.</summary>
public sealed class FuzzCampaign(int seed, TimeSpan timeout)
{
    private static readonly Type[] CleanTypes = [typeof(InvalidDataException), typeof(FileNotFoundException), typeof(DirectoryNotFoundException), typeof(NotSupportedException)];

    /// <summary>Runs cases 0..<paramref name="cases"/>−1 of <paramref name="format"/> in a scratch folder; reports each result to <paramref name="report"/>.</summary>
    public IReadOnlyList<CaseResult> Run(FuzzFormat format, int cases, Action<CaseResult>? report = null) => Run(format, Enumerable.Range(0, cases), report);

    /// <summary>Runs the cases numbered <paramref name="indices"/> (e.g. one case, to reproduce it).</summary>
    public IReadOnlyList<CaseResult> Run(FuzzFormat format, IEnumerable<int> indices, Action<CaseResult>? report = null)
    {
        string root = Directory.CreateTempSubdirectory($"rebel-fuzz-{format.Name}-").FullName;
        try
        {
            string seedDir = Path.Combine(root, "seed");
            Directory.CreateDirectory(seedDir);
            format.WriteSeed(seedDir);
            format.Load(seedDir); // the seed itself must load
            string[] targets = format.Targets.Length > 0 ? format.Targets : [.. Directory.GetFiles(seedDir).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
            var results = new List<CaseResult>();
            foreach (int i in indices)
            {
                var result = RunCase(format, seedDir, targets, Path.Combine(root, $"case-{i}"), i);
                results.Add(result);
                report?.Invoke(result);
            }
            return results;
        }
        finally
        {
            TryDelete(root);
        }
    }

    /// <summary>One case, reproducible from (seed, format, case).</summary>
    public CaseResult RunCase(FuzzFormat format, string seedDir, string[] targets, string caseDir, int index)
    {
        var random = new Random(unchecked((seed * 1_000_003) ^ (StableHash(format.Name) * 7919) ^ (index * 65_537)) & int.MaxValue);
        Directory.CreateDirectory(caseDir);
        foreach (var file in Directory.GetFiles(seedDir)) File.Copy(file, Path.Combine(caseDir, Path.GetFileName(file)));
        string target = targets[random.Next(targets.Length)];
        string path = Path.Combine(caseDir, target);
        var mutation = Mutator.Mutate(File.ReadAllBytes(path), target, random);
        File.WriteAllBytes(path, mutation.Bytes);
        string scratch = caseDir + "-roundtrip";
        var (outcome, detail) = Classify(() => Check(format, caseDir, scratch, mutation), caseDir);
        if (outcome is not Outcome.Hang)
        {
            TryDelete(caseDir);
            TryDelete(scratch);
        }
        return new CaseResult(format.Name, index, target, mutation.Kind, outcome, detail);
    }

    private static string Check(FuzzFormat format, string caseDir, string scratch, Mutation mutation)
    {
        string first = format.Load(caseDir);
        if (mutation.MustReject) throw new SilentCorruptionException($"{mutation.Kind} was accepted");
        if (format.Load(caseDir) != first) throw new SilentCorruptionException("two loads of the same folder differ");
        if (format.RoundTrip(caseDir, scratch) != first) throw new SilentCorruptionException("what loaded does not round-trip through our writer");
        return first;
    }

    private (Outcome, string) Classify(Func<string> check, string caseDir)
    {
        var task = Task.Run(check);
        try
        {
            // A case slower than the timeout on a loaded machine gets six more before it counts as a hang.
            if (!task.Wait(timeout) && !task.Wait(6 * timeout)) return (Outcome.Hang, $"no result within {7 * timeout.TotalSeconds:0.#} s");
            return (Outcome.Accepted, "");
        }
        catch (AggregateException wrapped) when (wrapped.InnerException is { } e)
        {
            if (e is SilentCorruptionException) return (Outcome.Silent, e.Message);
            bool clean = CleanTypes.Contains(e.GetType()) && e.Message.Contains(caseDir, StringComparison.Ordinal);
            string where = e.StackTrace?.Split('\n').FirstOrDefault()?.Trim() ?? "";
            return (clean ? Outcome.Rejected : Outcome.Crash, $"{e.GetType().Name}: {e.Message} {where}");
        }
    }

    private static int StableHash(string text) => text.Aggregate(17, (h, c) => unchecked(h * 31 + c));

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // A hung case may still hold its files; the scratch folder is under the temporary directory.
        }
    }
}
