using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Reproducibility;

/// <summary>Output sampling: Start, Start + Step, … up to End inclusive, in model time units.</summary>
public sealed record OutputGrid(double Start, double End, double Step)
{
    /// <summary>The sample times (rounded multiples of the step, so no drift accumulates).</summary>
    public double[] Times()
    {
        if (!(Step > 0) || !(End >= Start)) throw new ArgumentException("OutputGrid needs Step > 0 and End >= Start.");
        int n = (int)Math.Floor((End - Start) / Step + 1e-9) + 1;
        var t = new double[n];
        for (int i = 0; i < n; i++) t[i] = Start + i * Step;
        return t;
    }
}

/// <summary>A virtual cohort: size, which parameters vary (null: every parameter with a distribution), percentiles to report.</summary>
public sealed record CohortSpec(int Size, IReadOnlyList<string>? VaryingParameters = null, IReadOnlyList<double>? Percentiles = null)
{
    /// <summary>Percentiles used when none are given.</summary>
    public static IReadOnlyList<double> DefaultPercentiles { get; } = [5, 25, 50, 75, 95];
}

/// <summary>
/// Everything that determines a simulation result: model id and version, parameter overrides, scenario, solver and
/// tolerances, output times, seed and cohort. Its canonical hash (<see cref="RequestHasher"/>) identifies the result:
/// the same request gives bit-identical results on the same build.
/// </summary>
public sealed record SimulationRequest(
    string ModelId,
    string ModelVersion,
    Scenario Scenario,
    SolverOptions Solver,
    OutputGrid Output,
    IReadOnlyDictionary<string, double>? Parameters = null,
    ulong Seed = 0,
    CohortSpec? Cohort = null);
