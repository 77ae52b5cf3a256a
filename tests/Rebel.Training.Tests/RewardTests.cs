using Rebel.Training.Data;
using Rebel.Training.Rewards;

namespace Rebel.Training.Tests;

public class RewardTests
{
    private static RewardQuery Q(string prompt, string completion, string source = "test:1") =>
        new(PromptDataset.Parse($"{{\"prompt\": \"{prompt}\", \"answer\": \"12\"}}", source), completion, true);

    [Fact]
    public void ExactRewardComparesFirstLineNumerically()
    {
        var r = new ExactReward();
        Assert.Equal([1f, 1f, 0f, 0f], r.Score([Q("p", " 12"), Q("p", "12.0\nmore"), Q("p", " 13"), Q("p", "twelve")]));
    }

    [Fact]
    public void CommandRewardTalksToARealChildProcess()
    {
        // The program answers each line with its length: a reward that depends on the completion.
        using var r = new CommandReward("while IFS= read -r line; do echo \"{\\\"reward\\\": ${#line}}\"; done");
        var short1 = Q("p", "a");
        var long1 = Q("p", "a much longer completion");
        var scores = r.Score([short1, long1]);
        Assert.True(scores[1] > scores[0] && scores[0] > 0, $"scores {scores[0]}, {scores[1]}");
        var again = r.Score([long1]);
        Assert.Equal(scores[1], again[0]);
    }

    [Fact]
    public void CrashingRewardProgramNamesThePrompt()
    {
        using var r = new CommandReward("read line; echo boom >&2; exit 3");
        var e = Assert.Throws<InvalidOperationException>(() => r.Score([Q("what is 6+6?", " 12", "prompts.jsonl:7")]));
        Assert.Contains("prompts.jsonl:7", e.Message);
        Assert.Contains("boom", e.Message);
    }

    [Fact]
    public void ChattyStderrNeverBlocksTheProgramAndItsEndIsReported()
    {
        // Each answer is preceded by ~128 KB of stderr, twice a pipe's buffer: unread, the program would block before answering.
        const string spam = "i=0; while [ $i -lt 2000 ]; do echo 'warning: a long diagnostic line of sixty-four characters......' >&2; i=$((i+1)); done";
        using var r = new CommandReward($"while read line; do {spam}; echo '{{\"reward\": 1}}'; done", TimeSpan.FromSeconds(20));
        Assert.Equal([1f, 1f], r.Score([Q("a", "b", "p.jsonl:1"), Q("c", "d", "p.jsonl:2")]));

        using var crash = new CommandReward($"read line; {spam}; echo 'last words' >&2; exit 4", TimeSpan.FromSeconds(20));
        var e = Assert.Throws<InvalidOperationException>(() => crash.Score([Q("q", "c", "p.jsonl:3")]));
        Assert.Contains("last words", e.Message);
        Assert.True(e.Message.Length < 1000, "only the end of stderr is quoted");
    }

    [Fact]
    public void SilentRewardProgramTimesOut()
    {
        using var r = new CommandReward("sleep 30", TimeSpan.FromSeconds(1));
        var e = Assert.Throws<TimeoutException>(() => r.Score([Q("q", "c", "slow.jsonl:2")]));
        Assert.Contains("slow.jsonl:2", e.Message);
    }

    [Fact]
    public void MalformedRewardAnswerNamesThePrompt()
    {
        using var r = new CommandReward("while read line; do echo 'not json'; done");
        var e = Assert.Throws<InvalidDataException>(() => r.Score([Q("q", "c", "data.jsonl:3")]));
        Assert.Contains("data.jsonl:3", e.Message);
        Assert.Contains("not json", e.Message);
    }

    [Fact]
    public void AfterAMalformedAnswerTheNextBatchGetsItsOwnAnswers()
    {
        // Lines containing "bad" get a malformed answer, others their length; unread answers of a failed batch must not leak.
        const string program = "while IFS= read -r line; do case \"$line\" in *bad*) echo oops;; *) echo \"{\\\"reward\\\": ${#line}}\";; esac; done";
        using var r = new CommandReward(program);
        Assert.Throws<InvalidDataException>(() => r.Score([Q("bad", "c"), Q("p", "a much longer completion")]));
        using var fresh = new CommandReward(program);
        Assert.Equal(fresh.Score([Q("p", "a")]), r.Score([Q("p", "a")]));
    }

    [Fact]
    public void BadJsonlIsReportedWithFileAndLine()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path, ["{\"prompt\": \"ok\"}", "", "{\"prompt\": \"broken\"", "{\"prompt\": 3}"]);
            var e = Assert.Throws<InvalidDataException>(() => PromptDataset.Load(path));
            Assert.Contains($"{path}:3", e.Message);
            File.WriteAllLines(path, ["{\"prompt\": \"ok\"}", "{\"text\": \"no prompt\"}"]);
            e = Assert.Throws<InvalidDataException>(() => PromptDataset.Load(path));
            Assert.Contains($"{path}:2", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
