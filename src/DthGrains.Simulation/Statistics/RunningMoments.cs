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
