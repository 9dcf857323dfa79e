using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Models;

/// <summary>
/// Anything a run can simulate subject by subject: the engine's own ODE models (<see cref="ModelDefinition"/>) and
/// external codes a silo runs as processes (<see cref="External.ExternalModel"/>). Runs, cohorts, sweeps and sensitivity
/// studies see only this: the interface (parameters, outputs, scenarios) and a simulator per thread.
/// </summary>
public abstract class SimulationModel
{
    /// <summary>Identity, version, states, parameters (with provenance), inputs and outputs.</summary>
    public abstract ModelInfo Info { get; }

    /// <summary>The reference scenario of the model's publication.</summary>
    public abstract Scenario ReferenceScenario { get; }

    /// <summary>The scenarios a request may name, the reference first.</summary>
    public virtual IReadOnlyList<Scenario> NamedScenarios => [ReferenceScenario];

    /// <summary>A named scenario, or null: <see cref="NamedScenarios"/> lists the known ones.</summary>
    public Scenario? FindScenario(string name) => NamedScenarios.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.Ordinal));

    /// <summary>
    /// What one thread uses to simulate this model again and again on the grid <paramref name="outputTimes"/> (model time
    /// units, sorted). <paramref name="options"/> are the solver settings of the request (an external code ignores them).
    /// </summary>
    public abstract ISubjectSimulator CreateSimulator(SolverOptions options, ReadOnlySpan<double> outputTimes);

    /// <summary>
    /// Subjects a cohort shard solves between two progress reports (and merges as one block of statistics): the engine's
    /// 64 take milliseconds; an external code's subject may take minutes, so it reports each.
    /// </summary>
    public virtual int SubjectsPerChunk => Cohorts.SubjectShardRunner.ChunkSize;

    /// <summary>Why this process cannot simulate the model (an external code not installed here), or null when it can.</summary>
    public virtual string? NotRunnableHere => null;

    /// <summary>Default parameter vector, in the order of <see cref="ModelInfo.Parameters"/>.</summary>
    public double[] DefaultParameters() => Info.Parameters.Select(p => p.Value).ToArray();

    /// <summary>Default parameters with named overrides; unknown names are an error.</summary>
    public double[] Parameters(IReadOnlyDictionary<string, double>? overrides)
    {
        var p = DefaultParameters();
        if (overrides is null) return p;
        foreach (var (name, value) in overrides) p[Info.ParameterIndex(name)] = value;
        return p;
    }
}
