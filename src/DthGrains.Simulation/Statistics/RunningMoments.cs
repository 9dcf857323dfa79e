namespace DthGrains.Simulation.Statistics;

/// <summary>
/// Count, mean and sum of squared deviations by Welford's update, mergeable by Chan et al.'s formula, plus min/max.
/// A plain mutable struct of five numbers: cheap to keep per time point and trivial to serialise.
/// </summary>
public struct RunningMoments
{
    public long Count;
    public double Mean;
    public double M2;
    public double Min;
    public double Max;

    /// <summary>Adds one observation (NaN is ignored: a failed individual must not poison the statistics).</summary>
    public void Add(double x)
    {
        if (double.IsNaN(x)) return;
        if (Count == 0) { Min = x; Max = x; }
        else { if (x < Min) Min = x; if (x > Max) Max = x; }
        Count++;
        double d = x - Mean;
        Mean += d / Count;
        M2 += d * (x - Mean);
    }

    /// <summary>
    /// Adds a block of observations (NaN ignored): their count, sum, min and max in one pass, their squared deviations
    /// from the block's own mean in a second, then merged by Chan's formula. No division per value and no chain of
    /// dependent updates, unlike <see cref="Add"/>, and at least as accurate; the result depends on where blocks start,
    /// so callers that need bit-identical statistics cut their blocks the same way.
    /// </summary>
    public void AddRange(ReadOnlySpan<double> values)
    {
        // Four partial sums, combined in a fixed order: independent adds that pipeline, the same bits on every machine.
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        long n = 0;
        int i = 0;
        for (; i + 3 < values.Length; i += 4)
        {
            double a = values[i], b = values[i + 1], c = values[i + 2], d = values[i + 3];
            if (double.IsNaN(a + b + c + d)) break;
            s0 += a; s1 += b; s2 += c; s3 += d;
            min = Math.Min(Math.Min(min, a), Math.Min(b, Math.Min(c, d)));
            max = Math.Max(Math.Max(max, a), Math.Max(b, Math.Max(c, d)));
            n += 4;
        }
        for (; i < values.Length; i++)
        {
            double x = values[i];
            if (double.IsNaN(x)) continue;
            s0 += x;
            min = Math.Min(min, x);
            max = Math.Max(max, x);
            n++;
        }
        if (n == 0) return;
        double mean = ((s0 + s1) + (s2 + s3)) / n;
        double m0 = 0, m1 = 0;
        i = 0;
        for (; i + 1 < values.Length; i += 2)
        {
            double a = values[i] - mean, b = values[i + 1] - mean;
            if (!double.IsNaN(a)) m0 += a * a;
            if (!double.IsNaN(b)) m1 += b * b;
        }
        if (i < values.Length && !double.IsNaN(values[i])) { double a = values[i] - mean; m0 += a * a; }
        Merge(new RunningMoments { Count = n, Mean = mean, M2 = m0 + m1, Min = min, Max = max });
    }

    /// <summary>Merges another partial result (order-independent up to round-off).</summary>
    public void Merge(in RunningMoments other)
    {
        if (other.Count == 0) return;
        if (Count == 0) { this = other; return; }
        long n = Count + other.Count;
        double d = other.Mean - Mean;
        Mean += d * other.Count / n;
        M2 += other.M2 + d * d * Count * other.Count / n;
        Count = n;
        if (other.Min < Min) Min = other.Min;
        if (other.Max > Max) Max = other.Max;
    }

    /// <summary>Unbiased sample variance.</summary>
    public readonly double Variance => Count > 1 ? M2 / (Count - 1) : double.NaN;

    /// <summary>Sample standard deviation.</summary>
    public readonly double StandardDeviation => Math.Sqrt(Variance);
}
