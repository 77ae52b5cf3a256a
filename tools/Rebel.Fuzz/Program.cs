// rebel-fuzz: mutates valid seed folders of every format Rebel reads and classifies what the loaders do with them.
// Usage: rebel-fuzz [--cases N] [--seed S] [--format NAME]... [--case I] [--timeout-ms T]; --cases counts per format, --case runs
// one case alone (to reproduce a failure the summary lists). Exits 1 when any case crashed, hung or was
// silently accepted, printing those cases with the command that reproduces them.
using System.Globalization;
using Rebel.Fuzz;

int cases = 300, seed = 1, timeoutMs = 10_000;
int? only = null;
var formats = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i])
    {
        case "--cases": cases = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--format": formats.Add(Next()); break;
        case "--case": only = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--timeout-ms": timeoutMs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}; usage: rebel-fuzz [--cases N] [--seed S] [--format {string.Join('|', FuzzFormat.All.Select(f => f.Name))}]... [--case I] [--timeout-ms T]");
            return 2;
    }
}

var campaign = new FuzzCampaign(seed, TimeSpan.FromMilliseconds(timeoutMs));
var selected = formats.Count == 0 ? FuzzFormat.All : [.. FuzzFormat.All.Where(f => formats.Contains(f.Name))];
var outcomes = Enum.GetValues<Outcome>();
Console.WriteLine($"{"format",-12} {"cases",6} " + string.Join(" ", outcomes.Select(o => $"{o.ToString().ToLowerInvariant(),9}")));
var failures = new List<CaseResult>();
foreach (var format in selected)
{
    var results = only is int one ? campaign.Run(format, [one]) : campaign.Run(format, cases);
    Console.WriteLine($"{format.Name,-12} {results.Count,6} " + string.Join(" ", outcomes.Select(o => $"{results.Count(r => r.Outcome == o),9}")));
    failures.AddRange(results.Where(r => r.Outcome is Outcome.Crash or Outcome.Hang or Outcome.Silent));
}
foreach (var f in failures.Take(50))
    Console.WriteLine($"{f.Outcome} {f.Format} case {f.Case} ({f.File}, {f.Mutation}; reproduce: --format {f.Format} --seed {seed} --case {f.Case}): {f.Detail}");
Console.WriteLine(failures.Count == 0 ? "no crashes, hangs or silent acceptances" : $"{failures.Count} failing cases (seed {seed})");
return failures.Count == 0 ? 0 : 1;
