// The Fréchet distance between two sets of feature vectors (the distance between the Gaussians fitted to them; FID when the
// features come from an image network): ‖μ₁ − μ₂‖² + Tr(C₁) + Tr(C₂) − 2·Tr((C₁C₂)^½), with the matrix square root taken
// through symmetric eigendecompositions (cyclic Jacobi), in double precision.
namespace Rebel.Training.Images.Quality;

/// <summary>Fréchet distance between Gaussians fitted to two feature sets.</summary>
public static class FrechetDistance
{
    /// <summary>
    /// The distance between the Gaussians fitted to <paramref name="a"/> and <paramref name="b"/> (rows of equal length; sample mean
    /// and covariance with denominator n − 1, as FID does). Each set needs at least two rows.
    /// </summary>
    public static double Between(IReadOnlyList<float[]> a, IReadOnlyList<float[]> b)
    {
        var (meanA, covA) = Moments(a, nameof(a));
        var (meanB, covB) = Moments(b, nameof(b));
        if (meanA.Length != meanB.Length) throw new ArgumentException($"FrechetDistance: features of {meanA.Length} and {meanB.Length} values.");
        return FromMoments(meanA, covA, meanB, covB);
    }

    /// <summary>‖μ₁ − μ₂‖² + Tr(C₁) + Tr(C₂) − 2·Tr((C₁C₂)^½) for means (D) and symmetric positive semi-definite covariances (D, D).</summary>
    public static double FromMoments(double[] meanA, double[,] covA, double[] meanB, double[,] covB)
    {
        int d = meanA.Length;
        double distance = 0;
        for (int i = 0; i < d; i++) distance += (meanA[i] - meanB[i]) * (meanA[i] - meanB[i]) + covA[i, i] + covB[i, i];
        // Tr((C₁C₂)^½) = Tr((S·C₂·S)^½) with S = C₁^½; S·C₂·S is symmetric, so the trace is the sum of its eigenvalues' roots.
        var (values, vectors) = SymmetricEigen(covA);
        var root = Compose(vectors, [.. values.Select(v => Math.Sqrt(Math.Max(v, 0)))]);
        var (middle, _) = SymmetricEigen(Multiply(Multiply(root, covB), root));
        return distance - 2 * middle.Sum(v => Math.Sqrt(Math.Max(v, 0)));
    }

    private static (double[] Mean, double[,] Covariance) Moments(IReadOnlyList<float[]> rows, string name)
    {
        ArgumentNullException.ThrowIfNull(rows, name);
        if (rows.Count < 2) throw new ArgumentException($"FrechetDistance: {rows.Count} feature rows in '{name}'; need at least 2.", name);
        int d = rows[0].Length, n = rows.Count;
        var mean = new double[d];
        foreach (var row in rows)
        {
            if (row.Length != d) throw new ArgumentException($"FrechetDistance: rows of '{name}' differ in length ({row.Length} and {d}).", name);
            for (int i = 0; i < d; i++) mean[i] += row[i] / (double)n;
        }
        var cov = new double[d, d];
        foreach (var row in rows)
            for (int i = 0; i < d; i++)
                for (int j = i; j < d; j++) cov[i, j] += (row[i] - mean[i]) * (row[j] - mean[j]) / (n - 1);
        for (int i = 0; i < d; i++)
            for (int j = 0; j < i; j++) cov[i, j] = cov[j, i];
        return (mean, cov);
    }

    /// <summary>Eigenvalues and eigenvectors (columns) of the symmetric matrix <paramref name="m"/> by cyclic Jacobi rotations.</summary>
    internal static (double[] Values, double[,] Vectors) SymmetricEigen(double[,] m)
    {
        int d = m.GetLength(0);
        var a = (double[,])m.Clone();
        var v = new double[d, d];
        for (int i = 0; i < d; i++) v[i, i] = 1;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, scale = 0;
            for (int i = 0; i < d; i++)
            {
                scale += a[i, i] * a[i, i];
                for (int j = i + 1; j < d; j++) off += a[i, j] * a[i, j];
            }
            if (off <= 1e-24 * Math.Max(scale, 1e-300)) break;
            for (int p = 0; p < d - 1; p++)
                for (int q = p + 1; q < d; q++)
                    if (a[p, q] != 0) Rotate(a, v, p, q);
        }
        var values = new double[d];
        for (int i = 0; i < d; i++) values[i] = a[i, i];
        return (values, v);
    }

    // One Jacobi rotation that zeroes a[p, q] (and a[q, p]); v accumulates the rotations.
    private static void Rotate(double[,] a, double[,] v, int p, int q)
    {
        int d = a.GetLength(0);
        double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
        double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
        double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < d; k++)
        {
            double akp = a[k, p], akq = a[k, q];
            a[k, p] = c * akp - s * akq;
            a[k, q] = s * akp + c * akq;
        }
        for (int k = 0; k < d; k++)
        {
            double apk = a[p, k], aqk = a[q, k];
            a[p, k] = c * apk - s * aqk;
            a[q, k] = s * apk + c * aqk;
        }
        for (int k = 0; k < d; k++)
        {
            double vkp = v[k, p], vkq = v[k, q];
            v[k, p] = c * vkp - s * vkq;
            v[k, q] = s * vkp + c * vkq;
        }
    }

    // V·diag(values)·Vᵀ.
    private static double[,] Compose(double[,] vectors, double[] values)
    {
        int d = values.Length;
        var r = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                double sum = 0;
                for (int k = 0; k < d; k++) sum += vectors[i, k] * values[k] * vectors[j, k];
                r[i, j] = sum;
            }
        return r;
    }

    private static double[,] Multiply(double[,] x, double[,] y)
    {
        int d = x.GetLength(0);
        var r = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int k = 0; k < d; k++)
            {
                double xik = x[i, k];
                if (xik == 0) continue;
                for (int j = 0; j < d; j++) r[i, j] += xik * y[k, j];
            }
        return r;
    }
}
