using DthGrains.Simulation.Cohorts;

namespace DthGrains.Simulation.Statistics;

/// <summary>First-order and total Sobol indices per input, with the output variance used.</summary>
public sealed record SobolIndices(string[] Inputs, double[] FirstOrder, double[] Total, double Variance, int BaseSamples, int Evaluations);

/// <summary>
/// Variance-based global sensitivity: Saltelli's sampling scheme (matrices A, B and A_B^(i), N·(d + 2) evaluations)
/// with Saltelli et al. 2010's first-order estimator S_i = mean(f(B)·(f(A_B^i) − f(A)))/V and Jansen's total-effect
/// estimator S_Ti = mean((f(A) − f(A_B^i))²)/(2V). Inputs are sampled from distributions with a seeded generator.
/// </summary>
public static class SobolAnalysis
{
    /// <summary>Computes the indices of <paramref name="model"/> over independent inputs.</summary>
    /// <param name="names">Input names (for the report).</param>
    /// <param name="inputs">Input distributions.</param>
    /// <param name="model">The function f(x); must be thread-safe when <paramref name="parallel"/> is true.</param>
    /// <param name="baseSamples">N.</param>
    /// <param name="seed">Seed of the sample matrices.</param>
    /// <param name="parallel">Evaluate in parallel (results do not depend on it).</param>
    public static SobolIndices Compute(IReadOnlyList<string> names, IReadOnlyList<Distribution> inputs, Func<double[], double> model, int baseSamples, ulong seed, bool parallel = false)
    {
        int d = inputs.Count, n = baseSamples;
        var rng = new Xoshiro256StarStar(seed);
        var a = new double[n][];
        var b = new double[n][];
        for (int r = 0; r < n; r++)
        {
            a[r] = new double[d];
            b[r] = new double[d];
            for (int j = 0; j < d; j++) a[r][j] = inputs[j].FromStandardNormal(rng.NextNormal());
            for (int j = 0; j < d; j++) b[r][j] = inputs[j].FromStandardNormal(rng.NextNormal());
        }
        var fa = new double[n];
        var fb = new double[n];
        var fab = new double[d][];
        for (int i = 0; i < d; i++) fab[i] = new double[n];

        void Row(int r)
        {
            fa[r] = model(a[r]);
            fb[r] = model(b[r]);
            var x = new double[d];
            for (int i = 0; i < d; i++)
            {
                a[r].CopyTo(x, 0);
                x[i] = b[r][i];
                fab[i][r] = model(x);
            }
        }

        if (parallel) Parallel.For(0, n, Row);
        else for (int r = 0; r < n; r++) Row(r);

        var m = new RunningMoments();
        for (int r = 0; r < n; r++) { m.Add(fa[r]); m.Add(fb[r]); }
        double v = m.Variance;
        var s = new double[d];
        var st = new double[d];
        for (int i = 0; i < d; i++)
        {
            double sumS = 0, sumT = 0;
            for (int r = 0; r < n; r++)
            {
                sumS += fb[r] * (fab[i][r] - fa[r]);
                double diff = fa[r] - fab[i][r];
                sumT += diff * diff;
            }
            s[i] = sumS / n / v;
            st[i] = sumT / (2.0 * n) / v;
        }
        return new SobolIndices(names.ToArray(), s, st, v, n, n * (d + 2));
    }
}
