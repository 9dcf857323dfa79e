namespace DthGrains.Simulation.Solvers;

/// <summary>Solver choice and error control. The error norm is the RMS of err_i / (atol + rtol·max(|y_i|, |y_new,i|)).</summary>
/// <param name="Kind">Integrator, or <see cref="SolverKind.Auto"/>.</param>
/// <param name="RelativeTolerance">rtol.</param>
/// <param name="AbsoluteTolerance">atol.</param>
/// <param name="MaxStep">Largest step allowed (model time units); infinity for none.</param>
/// <param name="MaxSteps">Step budget per segment; exceeded means failure, never a silent truncation.</param>
/// <param name="InitialStep">First step of each segment; 0 selects it automatically (Hairer–Wanner heuristic).</param>
public sealed record SolverOptions(
    SolverKind Kind = SolverKind.Auto,
    double RelativeTolerance = 1e-6,
    double AbsoluteTolerance = 1e-9,
    double MaxStep = double.PositiveInfinity,
    int MaxSteps = 1_000_000,
    double InitialStep = 0)
{
    /// <summary>Rejects tolerances that no solver can honour.</summary>
    public void Validate()
    {
        if (!(RelativeTolerance > 0 && RelativeTolerance < 1))
            throw new ArgumentOutOfRangeException(nameof(RelativeTolerance), RelativeTolerance, "rtol must be in (0, 1).");
        if (!(AbsoluteTolerance > 0))
            throw new ArgumentOutOfRangeException(nameof(AbsoluteTolerance), AbsoluteTolerance, "atol must be > 0.");
        if (!(MaxStep > 0))
            throw new ArgumentOutOfRangeException(nameof(MaxStep), MaxStep, "MaxStep must be > 0.");
        if (!(InitialStep >= 0))
            throw new ArgumentOutOfRangeException(nameof(InitialStep), InitialStep, "InitialStep must be >= 0 (0 = automatic).");
        if (MaxSteps <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "MaxSteps must be > 0.");
    }
}
