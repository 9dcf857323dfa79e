namespace DthGrains.Simulation.Solvers;

/// <summary>Work counters of a solver, accumulated until <see cref="OdeSolver{TSystem}.ResetStatistics"/>.</summary>
public struct SolverStatistics
{
    public int AcceptedSteps;
    public int RejectedSteps;
    public int RhsEvaluations;
    public int JacobianEvaluations;
    public int Factorizations;

    /// <summary>Adds another solver's counters (used when Auto switches integrators mid-solve).</summary>
    public void Add(in SolverStatistics other)
    {
        AcceptedSteps += other.AcceptedSteps;
        RejectedSteps += other.RejectedSteps;
        RhsEvaluations += other.RhsEvaluations;
        JacobianEvaluations += other.JacobianEvaluations;
        Factorizations += other.Factorizations;
    }
}
