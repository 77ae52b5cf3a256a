// Data-parallel training: runs under `mpirun -np 2` end with the parameters of the one-process run on the same global batch
// (only the order of float sums differs), and a rank that fails ends the whole job with its error while the checkpoint survives.
using System.Text.Json.Nodes;
using Rebel.Models.IO;

namespace Rebel.Training.Tests;

public sealed class DataParallelTests(TinyModelFolder tiny) : IClassFixture<TinyModelFolder>
{
    private string[] Rl(string algo, string outDir, params string[] extra) => Rl(algo, outDir, 3, extra);

    private string[] Rl(string algo, string outDir, int iterations, params string[] extra) =>
        ["train", "--algo", algo, "--model", tiny.ModelDir, "--prompts", tiny.Prompts, "--reward", "length", "--out", outDir,
         "--iterations", $"{iterations}", "--prompts-per-iteration", "4", "--completions-per-prompt", "2", "--max-new-tokens", "4", "--lr", "3e-3", .. extra];

    [MpiFact]
    public void RebelUnderTwoProcessesEqualsOneProcess() =>
        AssertSameParameters(Rl("rebel", tiny.PathOf("dp-rebel-1")), Rl("rebel", tiny.PathOf("dp-rebel-2"), "--check-replicas", "1"),
            "dp-rebel", Path.Combine("checkpoint", "policy.safetensors"));

    [MpiFact]
    public void RlooUnderTwoProcessesEqualsOneProcess() =>
        AssertSameParameters(Rl("rloo", tiny.PathOf("dp-rloo-1"), "--minibatch-size", "8"), Rl("rloo", tiny.PathOf("dp-rloo-2"), "--minibatch-size", "8"),
            "dp-rloo", Path.Combine("checkpoint", "policy.safetensors"));

    [MpiFact]
    public void SftUnderTwoProcessesEqualsOneProcess()
    {
        string text = tiny.PathOf("dp-text.jsonl");
        File.WriteAllLines(text, Enumerable.Range(0, 8).Select(i => $"{{\"prompt\": \"say {i % 7} letters:\", \"completion\": \" {new string('a', i % 5 + 1)} cdcd\"}}"));
        string[] Sft(string outDir) => ["sft", "--model", tiny.ModelDir, "--data", text, "--out", outDir, "--steps", "3", "--batch-size", "4", "--lr", "3e-3"];
        AssertSameParameters(Sft(tiny.PathOf("dp-sft-1")), Sft(tiny.PathOf("dp-sft-2")), "dp-sft", Path.Combine("model", "model.safetensors"));
    }

    [MpiFact]
    public void DpoAndRewardModelUnderTwoProcessesEqualOneProcess()
    {
        string pairs = tiny.PathOf("dp-pairs.jsonl");
        File.WriteAllLines(pairs, RewardModelTrainerTests.PairLines(8, seed: 5));
        string[] Dpo(string outDir) => ["dpo", "--model", tiny.ModelDir, "--pairs", pairs, "--out", outDir, "--batch-pairs", "4", "--epochs", "1", "--lr", "3e-3"];
        AssertSameParameters(Dpo(tiny.PathOf("dp-dpo-1")), Dpo(tiny.PathOf("dp-dpo-2")), "dp-dpo", Path.Combine("model", "model.safetensors"));
        string[] Rm(string outDir) => ["reward", "--model", tiny.ModelDir, "--pairs", pairs, "--out", outDir, "--batch-size", "4", "--epochs", "1", "--lr", "3e-3"];
        // The final norm's bias shifts the chosen and the rejected score alike, so its Bradley–Terry gradient is zero up to rounding,
        // which AdamW turns into steps of ±lr that differ with the order of the sums: it is left out of the comparison.
        AssertSameParameters(Rm(tiny.PathOf("dp-rm-1")), Rm(tiny.PathOf("dp-rm-2")), "dp-rm", Path.Combine("model", "model.safetensors"),
            ignore: "transformer.ln_f.bias");
    }

    [MpiFact]
    public void ResumeUnderTwoProcessesEqualsResumeInOne()
    {
        // Two iterations, then a resumed third, in one process and in two; the two-process pair also checks replicas every step.
        string[] Leg(string outDir, int iterations, params string[] extra) => Rl("rebel", outDir, iterations, ["--checkpoint-every", "1", .. extra]);
        string one = tiny.PathOf("dp-resume-1"), two = tiny.PathOf("dp-resume-2");
        Assert.Equal(0, MpiRun.Rebel(1, Leg(one, 2)).Code);
        var first = MpiRun.Rebel(2, Leg(two, 2, "--check-replicas", "1"));
        Assert.True(first.Code == 0, first.Out + first.Err);
        AssertSameParameters(Leg(one, 3, "--resume", Path.Combine(one, "checkpoint")), Leg(two, 3, "--resume", Path.Combine(two, "checkpoint"), "--check-replicas", "1"),
            "dp-resume", Path.Combine("checkpoint", "policy.safetensors"));
        Assert.Equal([1.0, 2.0, 3.0], File.ReadAllLines(Path.Combine(two, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!["iteration"]!.GetValue<double>()));
    }

    [MpiFact]
    public void ImageRebelUnderTwoProcessesEqualsOneProcess()
    {
        string model = tiny.PathOf("dp-dit");
        string[] Pretrain(string outDir) => ["image", "pretrain", "--size", "8", "--patch", "4", "--width", "16", "--layers", "1", "--heads", "2", "--steps", "3",
            "--images", "64", "--out", outDir];
        AssertSameParameters(Pretrain(model), Pretrain(tiny.PathOf("dp-dit-2")), "dp-pretrain", "model.safetensors", initialWeights: "");
        // A reward that varies with every pixel (a checksum of the PNG), so each pair has a target to regress on.
        string script = tiny.PathOf("checksum-reward.sh");
        File.WriteAllText(script, "while read -r line; do\n  p=$(printf '%s' \"$line\" | sed 's/.*\"image\": *\"\\([^\"]*\\)\".*/\\1/')\n" +
            "  c=$(cksum < \"$p\" | cut -d' ' -f1)\n  echo \"{\\\"reward\\\": $((c % 97))}\"\ndone\n");
        string[] Image(string outDir) => ["image", "train", "--model", model, "--algo", "rebel", "--reward", $"cmd:sh {script}", "--iterations", "2",
            "--prompts-per-iteration", "4", "--steps", "3", "--minibatch", "64", "--lr", "3e-3", "--out", outDir];
        AssertSameParameters(Image(tiny.PathOf("dp-image-1")), Image(tiny.PathOf("dp-image-2")), "dp-image", Path.Combine("checkpoint", "policy.safetensors"),
            Path.Combine(model, "model.safetensors"));
    }

    [MpiFact]
    public void FailingRankEndsTheJobAndKeepsTheCheckpoint()
    {
        // A reward program that fails on rank 1 in the third iteration (its first line is the test query made before sampling; each
        // iteration then sends it 2 prompts × 2 completions).
        string script = tiny.PathOf("fail-on-rank-1.sh");
        File.WriteAllText(script, "n=0\nwhile read -r line; do\n  n=$((n+1))\n  if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ] && [ $n -gt 9 ]; then echo 'rank 1 reward broke' >&2; exit 3; fi\n  echo '{\"reward\": 1}'\ndone\n");
        string outDir = tiny.PathOf("dp-fail");
        string[] args = ["train", "--algo", "rebel", "--model", tiny.ModelDir, "--prompts", tiny.Prompts, "--reward", $"cmd:sh {script}", "--out", outDir,
            "--iterations", "6", "--prompts-per-iteration", "4", "--completions-per-prompt", "2", "--max-new-tokens", "4", "--checkpoint-every", "1"];
        var (code, output, err) = MpiRun.Rebel(2, args);
        Assert.True(code != 0, output + err);
        Assert.Contains("rank 1 of 2", err, StringComparison.Ordinal);
        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "checkpoint", "trainer_state.json")))!;
        Assert.InRange(state["iteration"]!.GetValue<int>(), 1, 2);
        Assert.NotEmpty(SafetensorsReader.ReadAll(Path.Combine(outDir, "checkpoint", "policy.safetensors")));
        Assert.InRange(File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Length, 1, 2);
    }

    [Fact]
    public void StartedByMpirunWithoutLibmpiSaysWhatToInstall()
    {
        var env = new Dictionary<string, string> { ["OMPI_COMM_WORLD_SIZE"] = "2", ["REBEL_LIBMPI"] = tiny.PathOf("no-such-libmpi.so") };
        var (code, _, err) = MpiRun.Rebel(1, env, "train", "--algo", "rebel", "--model", tiny.ModelDir, "--prompts", tiny.Prompts, "--reward", "length",
            "--out", tiny.PathOf("dp-nolib"));
        Assert.Equal(1, code);
        Assert.Contains("could not be loaded", err, StringComparison.Ordinal);
        Assert.Contains("openmpi-bin libopenmpi3", err, StringComparison.Ordinal);
    }

    private void AssertSameParameters(string[] single, string[] parallel, string name, string weights, string? initialWeights = null, string? ignore = null)
    {
        var one = MpiRun.Rebel(1, single);
        Assert.True(one.Code == 0, one.Err);
        var two = MpiRun.Rebel(2, parallel);
        Assert.True(two.Code == 0, two.Out + two.Err);
        // The two-process run did all-reduce (its metrics say so) and the parameters moved away from the initial model.
        string metrics = Path.Combine(OutOf(parallel), "metrics.jsonl");
        var rows = File.Exists(metrics) ? File.ReadAllLines(metrics) : ["{}"];
        Assert.NotEmpty(rows);
        if (rows[0].Contains("time/allreduce_s", StringComparison.Ordinal))
            Assert.True(JsonNode.Parse(rows[0])!["time/allreduce_s"]!.GetValue<double>() > 0, $"{name}: no all-reduce time logged.");
        var a = SafetensorsReader.ReadAll(Path.Combine(OutOf(single), weights));
        var b = SafetensorsReader.ReadAll(Path.Combine(OutOf(parallel), weights));
        // No initial weights to compare with (""): a run from a random start, which moved if the loss was finite.
        var initial = initialWeights == "" ? null : SafetensorsReader.ReadAll(initialWeights ?? Path.Combine(tiny.ModelDir, "model.safetensors"));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        // All parameters as one vector (AdamW turns the float noise of exactly-zero gradients, e.g. of the key bias, into steps of ±lr).
        double moved = 0, diff = 0, norm = 0, worst = -1;
        string worstKey = "";
        foreach (var (key, t) in a.Where(p => p.Key != ignore))
        {
            double d = 0;
            for (int i = 0; i < t.Data.Length; i++) { d += Sq(t.Data[i] - b[key].Data[i]); norm += Sq(t.Data[i]); }
            diff += d;
            if (d > worst) (worst, worstKey) = (d, key);
            if (initial is null) moved = 1;
            else if (initial.TryGetValue(key, out var init)) moved = Math.Max(moved, t.Data.Zip(init.Data, (x, y) => Math.Abs(x - y)).Max());
        }
        Assert.True(Math.Sqrt(diff) <= 1e-5 * Math.Sqrt(norm),
            $"{name}: parameters differ by {Math.Sqrt(diff / norm):E2} (relative), most in {worstKey} ({Math.Sqrt(worst):E2} of {Math.Sqrt(diff):E2}); keys {string.Join(",", a.Keys.Take(3))}.");
        Assert.True(moved > 1e-4, $"{name}: training did not move the parameters (largest change {moved:E2}; keys {string.Join(",", a.Keys.Take(3))} / {string.Join(",", initial?.Keys.Take(3) ?? [])}).");
    }

    private static string OutOf(string[] args) => args[Array.IndexOf(args, "--out") + 1];

    private static double Sq(double x) => x * x;
}
