namespace DthGrains.Simulation.Numerics;

/// <summary>
/// In-place LU decomposition with partial pivoting for small dense matrices (row-major).
/// Written here rather than taken from a library so that it allocates nothing and runs on spans.
/// </summary>
public static class DenseLu
{
    /// <summary>Factorises A = P·L·U in place. Returns false when A is numerically singular.</summary>
    public static bool Factor(Span<double> a, int n, Span<int> pivots)
    {
        for (int k = 0; k < n; k++)
        {
            int p = k;
            double max = Math.Abs(a[k * n + k]);
            for (int i = k + 1; i < n; i++)
            {
                double v = Math.Abs(a[i * n + k]);
                if (v > max) { max = v; p = i; }
            }
            pivots[k] = p;
            if (max == 0 || !double.IsFinite(max)) return false;
            if (p != k)
            {
                for (int j = 0; j < n; j++)
                    (a[k * n + j], a[p * n + j]) = (a[p * n + j], a[k * n + j]);
            }
            double inv = 1.0 / a[k * n + k];
            for (int i = k + 1; i < n; i++)
            {
                double m = a[i * n + k] * inv;
                a[i * n + k] = m;
                if (m == 0) continue;
                for (int j = k + 1; j < n; j++) a[i * n + j] -= m * a[k * n + j];
            }
        }
        return true;
    }

    /// <summary>Solves A·x = b in place of b, given the output of <see cref="Factor"/>.</summary>
    public static void Solve(ReadOnlySpan<double> lu, int n, ReadOnlySpan<int> pivots, Span<double> b)
    {
        for (int k = 0; k < n; k++)
        {
            int p = pivots[k];
            if (p != k) (b[k], b[p]) = (b[p], b[k]);
        }
        for (int i = 1; i < n; i++)
        {
            double s = b[i];
            for (int j = 0; j < i; j++) s -= lu[i * n + j] * b[j];
            b[i] = s;
        }
        for (int i = n - 1; i >= 0; i--)
        {
            double s = b[i];
            for (int j = i + 1; j < n; j++) s -= lu[i * n + j] * b[j];
            b[i] = s / lu[i * n + i];
        }
    }

    /// <summary>Inverts a matrix (allocating); for small calibration covariance matrices, not hot paths.</summary>
    public static double[] Inverse(ReadOnlySpan<double> a, int n)
    {
        var lu = a.ToArray();
        var piv = new int[n];
        if (!Factor(lu, n, piv)) throw new InvalidOperationException("Matrix is singular.");
        var inv = new double[n * n];
        var col = new double[n];
        for (int j = 0; j < n; j++)
        {
            Array.Clear(col);
            col[j] = 1;
            Solve(lu, n, piv, col);
            for (int i = 0; i < n; i++) inv[i * n + j] = col[i];
        }
        return inv;
    }
}
