using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Engine;

/// <summary>Result of one simulation: outputs on the grid (row-major [time, output]), with provenance.</summary>
public sealed record SimulationResult(
    string RequestHash,
    string ModelId,
    string ModelVersion,
    double[] Times,
    string[] OutputNames,
    string[] OutputUnits,
    double[] Values,
    IntegrationStatus Status,
    SolverStatistics Statistics,
    IReadOnlyList<StateEvent> Events)
{
    /// <summary>Value of output <paramref name="output"/> at time index <paramref name="timeIndex"/>.</summary>
    public double this[int timeIndex, int output] => Values[timeIndex * OutputNames.Length + output];

    /// <summary>The time series of one output.</summary>
    public double[] Series(string output)
    {
        int k = Array.IndexOf(OutputNames, output);
        if (k < 0) throw new ArgumentException($"No output '{output}'. Known: {string.Join(", ", OutputNames)}.");
        var s = new double[Times.Length];
        for (int i = 0; i < s.Length; i++) s[i] = Values[i * OutputNames.Length + k];
        return s;
    }
}
