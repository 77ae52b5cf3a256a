// A fixed workload for A/B runs of the worker team (scripts/team_load_ab.sh). `TeamBench ROUNDS`: per round,
// GPT-2-decode-shaped products (16 rows through 768 × 3072 and 3072 × 768 weights in column panels, as a decode step does)
// and 512³ products through the blocked GEMM. `TeamBench sample ROUNDS`: ROUNDS calls of the `rebel bench model --preset
// gpt2-124m` sampling call (16 prompts × 16 tokens + 48 new, random weights). Either prints one JSON line: wall seconds
// and process CPU seconds of the timed rounds, after one warm-up round.
using System.Diagnostics;
using System.Globalization;
using Rebel.Models;
using Rebel.Models.Sampling;
using Rebel.Tensors;
using Rebel.Tensors.Kernels;

bool sample = args.Length > 0 && args[0] == "sample";
string[] rest = sample ? args[1..] : args;
int rounds = rest.Length > 0 ? int.Parse(rest[0], CultureInfo.InvariantCulture) : 20;
var rng = new Random(1);
float[] Fill(long length)
{
    var x = new float[length];
    for (long i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() - 0.5);
    return x;
}

const int Rows = 16, Width = 768, Hidden = 3072, Square = 512;
float[] up = Fill((long)Width * Hidden), down = Fill((long)Hidden * Width);
float[] upPanels = new float[Gemm.ColumnPanelsLength(Width, Hidden)], downPanels = new float[Gemm.ColumnPanelsLength(Hidden, Width)];
Gemm.PackColumnPanels(up, Width, Hidden, transB: false, upPanels);
Gemm.PackColumnPanels(down, Hidden, Width, transB: false, downPanels);
float[] x = Fill(Rows * Width), h = new float[Rows * Hidden], y = new float[Rows * Width];
float[] a = Fill(Square * Square), b = Fill(Square * Square), c = new float[Square * Square];

var model = sample ? ModelFactory.Create(ModelConfig.Preset("gpt2-124m"), new Rng(0)) : null;

void Round()
{
    if (model is not null)
    {
        var draws = new Rng(7);
        var prompts = Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, 16).Select(_ => draws.NextInt(model.Config.VocabSize)).ToArray()).ToArray();
        Sampler.Generate(model, prompts, new SamplingOptions { MaxNewTokens = 48, EosTokenIds = [-1] }, draws);
        return;
    }
    for (int layer = 0; layer < 48; layer++) // 48 MLP pairs: 4 decode steps of a 12-layer GPT-2
    {
        Gemm.MultiplyColumnPanels(x, upPanels, h, Rows, Hidden, Width);
        Gemm.MultiplyColumnPanels(h, downPanels, y, Rows, Width, Hidden);
    }
    for (int i = 0; i < 4; i++) Gemm.Multiply(a, b, c, Square, Square, Square);
}

Round();
var process = Process.GetCurrentProcess();
TimeSpan cpu0 = process.TotalProcessorTime;
long t0 = Stopwatch.GetTimestamp();
for (int r = 0; r < rounds; r++) Round();
double wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
process.Refresh();
double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"rounds\":{rounds},\"threads\":{Environment.ProcessorCount},\"wall_s\":{wall:F3},\"cpu_s\":{cpu:F3},\"checksum\":{y[0] + c[0]:G6}}}"));
