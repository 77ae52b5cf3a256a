// BenchmarkDotNet entry point: `dotnet run -c Release --project bench/Rebel.Benchmarks -- --filter '*'`.
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
