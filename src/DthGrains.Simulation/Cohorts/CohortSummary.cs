using DthGrains.Simulation.Statistics;

namespace DthGrains.Simulation.Cohorts;

/// <summary>Percentile bands over time: Bands[(output × times + time) × percentiles + k].</summary>
public sealed record CohortSummary(
    long Individuals,
    long Failed,
    double[] Times,
    string[] OutputNames,
    double[] Percentiles,
    double[] Mean,
    double[] StandardDeviation,
    double[] Bands)
{
    /// <summary>Builds the bands from (merged) partial statistics.</summary>
    public static CohortSummary From(CohortPartial p, IReadOnlyList<double> percentiles)
    {
        int nt = p.Times.Length, ny = p.OutputNames.Length, np = percentiles.Count;
        var mean = new double[nt * ny];
        var sd = new double[nt * ny];
        var bands = new double[nt * ny * np];
        for (int i = 0; i < nt * ny; i++)
        {
            mean[i] = p.Moments[i].Mean;
            sd[i] = p.Moments[i].StandardDeviation;
            var sketch = QuantileSketch.FromState(p.Sketches[i]);
            for (int k = 0; k < np; k++) bands[i * np + k] = sketch.Quantile(percentiles[k] / 100);
        }
        return new CohortSummary(p.Individuals, p.Failed, p.Times, p.OutputNames, percentiles.ToArray(), mean, sd, bands);
    }

    /// <summary>Percentile k (index into <see cref="Percentiles"/>) of an output at a time index.</summary>
    public double Band(int output, int time, int k) => Bands[(output * Times.Length + time) * Percentiles.Length + k];

    /// <summary>Mean of an output at a time index.</summary>
    public double MeanOf(int output, int time) => Mean[output * Times.Length + time];
}
