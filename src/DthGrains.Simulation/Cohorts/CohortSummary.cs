namespace DthGrains.Simulation.Cohorts;

/// <summary>Percentile bands over time (<see cref="ShardPartial.Summarise"/>): Bands[(output × times + time) × percentiles + k].</summary>
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
    /// <summary>Percentile k (index into <see cref="Percentiles"/>) of an output at a time index.</summary>
    public double Band(int output, int time, int k) => Bands[(output * Times.Length + time) * Percentiles.Length + k];

    /// <summary>Mean of an output at a time index.</summary>
    public double MeanOf(int output, int time) => Mean[output * Times.Length + time];
}
