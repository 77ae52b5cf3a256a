// Which GEMM code path runs: AVX-512, AVX2+FMA or scalar, chosen from the CPU and REBEL_GEMM_PATH.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rebel.Tensors.Kernels;

/// <summary>A GEMM code path, from slowest to fastest.</summary>
public enum GemmPath
{
    /// <summary>Blocked driver with a scalar micro-kernel; runs everywhere.</summary>
    Scalar,
    /// <summary>Vector256 + FMA micro-kernel.</summary>
    Avx2,
    /// <summary>Vector512 + FMA micro-kernel.</summary>
    Avx512,
}

public static partial class Gemm
{
    /// <summary>The fastest path this CPU supports.</summary>
    public static GemmPath BestSupportedPath { get; } = DetectBestPath();

    /// <summary>
    /// Path forced by tests or by <c>REBEL_GEMM_PATH</c> (avx512 | avx2 | scalar, read once at startup);
    /// null means <see cref="BestSupportedPath"/>. A path the CPU lacks falls back to the best supported one.
    /// </summary>
    public static GemmPath? ForcedPath { get; set; } = ParsePath(Environment.GetEnvironmentVariable("REBEL_GEMM_PATH"));

    /// <summary>The path <see cref="Multiply"/> uses right now.</summary>
    public static GemmPath ActivePath => Supported(ForcedPath ?? BestSupportedPath);

    internal static GemmPath Supported(GemmPath requested) => requested <= BestSupportedPath ? requested : BestSupportedPath;

    internal static GemmPath? ParsePath(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "avx512" => GemmPath.Avx512,
        "avx2" => GemmPath.Avx2,
        "scalar" => GemmPath.Scalar,
        _ => throw new ArgumentException($"REBEL_GEMM_PATH must be avx512, avx2 or scalar, not '{value}'."),
    };

    private static GemmPath DetectBestPath()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported) return GemmPath.Avx512;
        if (Avx2.IsSupported && Fma.IsSupported) return GemmPath.Avx2;
        return GemmPath.Scalar;
    }
}
