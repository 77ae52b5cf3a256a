// `rebel bench --json`: the libraries' figures become one JSON line each, in order, doubles rounded to the figures' decimals.
using Rebel.Models;
using Rebel.Tensors;

namespace Rebel.Training.Tests;

public class BenchJsonTests
{
    [Fact]
    public void FiguresBecomeOneJsonLineWithTheirKeysInOrder()
    {
        Assert.Equal("{\"bench\":\"gemm\",\"m\":777,\"n\":1031,\"k\":3079,\"gflops\":80.3}",
            BenchJson.Line(new BenchFigures("gemm", [("m", 777), ("n", 1031), ("k", 3079), ("gflops", 80.3456)], Digits: 1)).ToJsonString());
        Assert.Equal("{\"bench\":\"machine\",\"cpu\":\"x\",\"cores\":2,\"vector512\":false,\"parameters\":12345678901,\"share\":0.125}",
            BenchJson.Line(new BenchFigures("machine", [("cpu", "x"), ("cores", 2), ("vector512", false), ("parameters", 12345678901L), ("share", 0.12549)])).ToJsonString());
    }

    [Fact]
    public void AnUnsupportedFigureNamesItsBench()
    {
        var e = Assert.Throws<ArgumentException>(() => BenchJson.Line(new BenchFigures("odd", [("when", DateTime.UnixEpoch)])));
        Assert.Contains("bench odd: figure when", e.Message, StringComparison.Ordinal);
    }
}
