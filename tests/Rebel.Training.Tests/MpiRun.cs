// Launches the built `rebel` command as a separate process, alone or under `mpirun --oversubscribe -np N`, for the data-parallel tests.
using System.Diagnostics;

namespace Rebel.Training.Tests;

/// <summary>Runs rebel.dll (copied next to the tests) with `dotnet`, optionally under Open MPI's mpirun.</summary>
internal static class MpiRun
{
    /// <summary>Full path of mpirun on PATH, or null when Open MPI is not installed.</summary>
    public static string? Mpirun { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
        .Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);

    /// <summary>Runs `rebel args` in <paramref name="processes"/> processes (1: without mpirun); returns exit code and both outputs.</summary>
    public static (int Code, string Out, string Err) Rebel(int processes, params string[] args) => Rebel(processes, new Dictionary<string, string>(), args);

    /// <summary>As <see cref="Rebel(int, string[])"/> with extra environment variables.</summary>
    public static (int Code, string Out, string Err) Rebel(int processes, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = processes == 1 ? new ProcessStartInfo(Dotnet) : new ProcessStartInfo(Mpirun ?? throw new InvalidOperationException("mpirun is not installed."));
        if (processes > 1)
            foreach (var a in (string[])["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", $"{processes}", Dotnet]) start.ArgumentList.Add(a);
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rebel.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment.Remove("OMPI_COMM_WORLD_SIZE");
        start.Environment["DOTNET_gcServer"] = "0";
        foreach (var (k, v) in environment) start.Environment[k] = v;
        return Run(start, $"rebel {string.Join(' ', args)} under {processes} processes");
    }

    /// <summary>The dotnet host running these tests.</summary>
    public static string Dotnet { get; } = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    /// <summary>Runs <paramref name="start"/> with both outputs captured; a process still running after 3 minutes is killed and named in a TimeoutException.</summary>
    public static (int Code, string Out, string Err) Run(ProcessStartInfo start, string what)
    {
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish in 3 minutes.");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>A fact that is skipped, with the reason shown, where Open MPI's mpirun is not installed (CI installs it).</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when mpirun is missing.</summary>
    public MpiFactAttribute()
    {
        if (MpiRun.Mpirun is null) Skip = "mpirun not found on PATH: install Open MPI (apt-get install openmpi-bin libopenmpi3) to run the data-parallel tests.";
    }
}
