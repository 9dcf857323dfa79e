namespace DthGrains.Simulation.Cohorts;

/// <summary>A parameter range for sweeps.</summary>
public sealed record SweepRange(string Parameter, double Lower, double Upper);

/// <summary>Deterministic designs over parameter ranges: full grids and Latin hypercubes.</summary>
public static class ParameterSweep
{
    /// <summary>Full factorial grid with <paramref name="pointsPerAxis"/> evenly spaced values per range; rows = points.</summary>
    public static double[][] Grid(IReadOnlyList<SweepRange> ranges, int pointsPerAxis)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pointsPerAxis, 1);
        int d = ranges.Count;
        long total = (long)Math.Pow(pointsPerAxis, d);
        if (total > 10_000_000) throw new ArgumentException($"A grid of {total} points is too large; use a Latin hypercube.");
        var rows = new double[total][];
        for (long r = 0; r < total; r++)
        {
            var row = new double[d];
            long rem = r;
            for (int j = d - 1; j >= 0; j--)
            {
                int k = (int)(rem % pointsPerAxis);
                rem /= pointsPerAxis;
                var g = ranges[j];
                row[j] = pointsPerAxis == 1 ? 0.5 * (g.Lower + g.Upper) : g.Lower + (g.Upper - g.Lower) * k / (pointsPerAxis - 1);
            }
            rows[r] = row;
        }
        return rows;
    }

    /// <summary>
    /// Latin hypercube of <paramref name="n"/> points: each range cut in n equal strata, each stratum used exactly once
    /// per dimension, with a random point inside each stratum and random pairing (seeded).
    /// </summary>
    public static double[][] LatinHypercube(IReadOnlyList<SweepRange> ranges, int n, ulong seed)
    {
        var rng = new Xoshiro256StarStar(seed);
        int d = ranges.Count;
        var rows = new double[n][];
        for (int i = 0; i < n; i++) rows[i] = new double[d];
        var perm = new int[n];
        for (int j = 0; j < d; j++)
        {
            for (int i = 0; i < n; i++) perm[i] = i;
            for (int i = n - 1; i > 0; i--)
            {
                int k = (int)(rng.NextUInt64() % (ulong)(i + 1));
                (perm[i], perm[k]) = (perm[k], perm[i]);
            }
            var g = ranges[j];
            for (int i = 0; i < n; i++)
                rows[i][j] = g.Lower + (g.Upper - g.Lower) * (perm[i] + rng.NextDouble()) / n;
        }
        return rows;
    }
}
