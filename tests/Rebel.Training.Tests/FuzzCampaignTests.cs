// The short fuzzing run of the suite (the long run is `rebel-fuzz --cases 10000`, see the README's reliability section):
// a few hundred mutated seed folders per format, none of which may crash a loader, hang or load silently.
using Rebel.Fuzz;

namespace Rebel.Training.Tests;

public class FuzzCampaignTests
{
    public static TheoryData<string> Formats => [.. FuzzFormat.All.Select(f => f.Name)];

    [Theory]
    [MemberData(nameof(Formats))]
    public void Mutated_inputs_are_rejected_cleanly_or_load_consistently(string name)
    {
        var format = FuzzFormat.All.Single(f => f.Name == name);
        var results = new FuzzCampaign(seed: 1, TimeSpan.FromSeconds(30)).Run(format, cases: 150);
        var failures = results.Where(r => r.Outcome is Outcome.Crash or Outcome.Hang or Outcome.Silent).Select(r => $"case {r.Case} ({r.File}, {r.Mutation}): {r.Outcome} {r.Detail}");
        Assert.Empty(failures);
        // Both kinds of clean outcome occur, so the mutations reach past the first check and the loaders are exercised.
        Assert.Contains(results, r => r.Outcome == Outcome.Rejected);
        Assert.Contains(results, r => r.Outcome == Outcome.Accepted);
    }

    [Fact]
    public void A_loader_that_accepts_everything_is_caught_as_silent_and_one_that_throws_raw_exceptions_as_crashing()
    {
        var real = FuzzFormat.All.Single(f => f.Name == "safetensors");
        var lenient = real with { Name = "lenient", Load = _ => "same", RoundTrip = (_, _) => "same" };
        var raw = real with { Name = "raw", Load = dir => dir.EndsWith("seed", StringComparison.Ordinal) ? "seed" : throw new InvalidOperationException($"{dir}: bad") };
        var campaign = new FuzzCampaign(seed: 1, TimeSpan.FromSeconds(30));
        Assert.Contains(campaign.Run(lenient, cases: 40), r => r.Outcome == Outcome.Silent);
        Assert.All(campaign.Run(raw, cases: 5), r => Assert.Equal(Outcome.Crash, r.Outcome));
    }
}
