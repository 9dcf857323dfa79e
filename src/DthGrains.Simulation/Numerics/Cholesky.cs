namespace DthGrains.Simulation.Numerics;

/// <summary>Cholesky factorisation of symmetric positive-definite matrices (row-major), used for correlated sampling.</summary>
public static class Cholesky
{
    /// <summary>Returns the lower-triangular L with A = L·Lᵀ, or throws when A is not positive definite.</summary>
    public static double[] Factor(ReadOnlySpan<double> a, int n)
    {
        var l = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
                if (i == j)
                {
                    if (s <= 0) throw new ArgumentException($"Matrix is not positive definite (pivot {i} = {s}).");
                    l[i * n + i] = Math.Sqrt(s);
                }
                else
                {
                    l[i * n + j] = s / l[j * n + j];
                }
            }
        }
        return l;
    }
}
