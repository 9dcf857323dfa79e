using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Engine;

/// <summary>
/// Simulates one subject at a time on a fixed output grid. Not thread-safe: one per thread. The engine's
/// <see cref="SimulationWorkspace"/> allocates nothing per solve; an external code's simulator starts a process per solve.
/// </summary>
public interface ISubjectSimulator
{
    /// <summary>
    /// Simulates one subject: parameters <paramref name="parameters"/>, inputs from <paramref name="scenario"/>. Writes
    /// outputs row-major [time, output] into <paramref name="outputs"/>. Returns Completed or why the subject failed.
    /// <paramref name="subject"/> says which subject of the run it is (what a stochastic code seeds itself from).
    /// <paramref name="cancellationToken"/> stops a long solve (an external process is killed); a solve of the engine
    /// takes milliseconds and is only checked between subjects.
    /// </summary>
    IntegrationStatus Solve(CompiledScenario scenario, ReadOnlySpan<double> parameters, Span<double> outputs, SubjectIdentity subject, CancellationToken cancellationToken);
}
