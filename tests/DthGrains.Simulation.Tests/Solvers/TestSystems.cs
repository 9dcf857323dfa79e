using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Tests.Solvers;

/// <summary>y' = λy, exact solution y0·e^{λt}.</summary>
internal sealed class ExponentialDecay(double lambda) : IOdeSystem
{
    public int Dimension => 1;
    public bool IsAutonomous => true;
    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => dydt[0] = lambda * y[0];
}

/// <summary>y'' = −ω²y as a first-order system; exact solution (cos ωt, −ω sin ωt) from (1, 0).</summary>
internal sealed class HarmonicOscillator(double omega = 1) : IOdeSystem
{
    public int Dimension => 2;
    public bool IsAutonomous => true;
    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        dydt[0] = y[1];
        dydt[1] = -omega * omega * y[0];
    }
}

/// <summary>Robertson's chemical kinetics (Hairer &amp; Wanner II, §IV.1), the classic stiff test.</summary>
internal sealed class Robertson(bool analyticJacobian) : IOdeSystem
{
    public int Dimension => 3;
    public bool IsAutonomous => true;
    public bool HasJacobian => analyticJacobian;
    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        dydt[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
        dydt[1] = 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] * y[1];
        dydt[2] = 3e7 * y[1] * y[1];
    }
    public void Jacobian(double t, ReadOnlySpan<double> y, Span<double> j)
    {
        j[0] = -0.04; j[1] = 1e4 * y[2]; j[2] = 1e4 * y[1];
        j[3] = 0.04; j[4] = -1e4 * y[2] - 6e7 * y[1]; j[5] = -1e4 * y[1];
        j[6] = 0; j[7] = 6e7 * y[1]; j[8] = 0;
    }
}

/// <summary>Van der Pol oscillator y'' − μ(1 − y²)y' + y = 0, stiff for large μ.</summary>
internal sealed class VanDerPol(double mu) : IOdeSystem
{
    public int Dimension => 2;
    public bool IsAutonomous => true;
    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        dydt[0] = y[1];
        dydt[1] = mu * (1 - y[0] * y[0]) * y[1] - y[0];
    }
}

/// <summary>g = y[component] − level.</summary>
internal sealed class Threshold(int component, double level, bool terminal = false) : IRootFunction
{
    public int Count => 1;
    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> g) => g[0] = y[component] - level;
    public bool IsTerminal(int index) => terminal;
}

internal static class Solve
{
    public static OdeSolver<IOdeSystem> Create(SolverKind kind, int n, SolverOptions o) =>
        kind == SolverKind.Rodas4 ? new Rodas4(n, o) : new DormandPrince45(n, o);

    /// <summary>Integrates to t1 and returns the final state.</summary>
    public static double[] To(OdeSolver<IOdeSystem> solver, IOdeSystem sys, double t1, params double[] y0)
    {
        var y = (double[])y0.Clone();
        int next = 0;
        var r = solver.Integrate(sys, 0, t1, y, ReadOnlySpan<double>.Empty, Span<double>.Empty, ref next);
        r.Status.Should().Be(IntegrationStatus.Completed);
        return y;
    }
}
