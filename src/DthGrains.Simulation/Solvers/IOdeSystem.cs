namespace DthGrains.Simulation.Solvers;

/// <summary>
/// A system of ordinary differential equations dy/dt = f(t, y).
/// The right-hand side writes into a caller-owned span so that a solve allocates nothing per step.
/// </summary>
public interface IOdeSystem
{
    /// <summary>Number of state variables.</summary>
    int Dimension { get; }

    /// <summary>Writes f(t, y) into <paramref name="dydt"/>.</summary>
    void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt);

    /// <summary>True when <see cref="Jacobian"/> is implemented analytically.</summary>
    bool HasJacobian => false;

    /// <summary>True when f does not depend on t explicitly (within the current input segment).</summary>
    bool IsAutonomous => false;

    /// <summary>Writes df/dy, row-major (row i = equation i), into <paramref name="dfdy"/>.</summary>
    void Jacobian(double t, ReadOnlySpan<double> y, Span<double> dfdy) =>
        throw new NotSupportedException("This system has no analytic Jacobian; the solver uses finite differences.");
}
