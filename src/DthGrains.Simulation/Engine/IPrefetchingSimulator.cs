using DthGrains.Simulation.Scenarios;

namespace DthGrains.Simulation.Engine;

/// <summary>One subject as a simulator is asked for it: its scenario, parameters and identity.</summary>
public readonly record struct SubjectCase(CompiledScenario Scenario, double[] Parameters, SubjectIdentity Subject);

/// <summary>
/// A simulator that does better when told first which subjects it will be asked for: an external code that takes them in
/// batches, one process for many. The cohort path announces each chunk's subjects, and a sensitivity study each base
/// sample's evaluations, then asks for them one by one as usual; a subject asked for that was not announced is
/// simulated on its own.
/// </summary>
public interface IPrefetchingSimulator : ISubjectSimulator
{
    /// <summary>Simulates <paramref name="cases"/> ahead, in order; the next <see cref="ISubjectSimulator.Solve"/> calls take their results.</summary>
    void Prefetch(IReadOnlyList<SubjectCase> cases, CancellationToken cancellationToken);
}
