using DthGrains.Simulation.Models;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Engine;

/// <summary>
/// A model's right-hand side as the solvers see it, with the parameters and the current segment's inputs bound.
/// A struct, so that <see cref="ModelIntegrator{TSystem}"/> specialises the solvers for it and the JIT can inline the
/// equations into the stage loops. Every <see cref="IOdeSystem"/> member is implemented here: a default interface
/// member called through a struct constraint would box (allocate) on each call.
/// </summary>
internal interface IModelSystem : IOdeSystem
{
    /// <summary>Binds parameters and the inputs of the segment about to be integrated (called once per segment).</summary>
    void Bind(double[] p, double[] u);
}

/// <summary>The generic adapter: calls the model's virtual <see cref="ModelDefinition.Derivatives"/> with the bound arrays.</summary>
internal struct ModelSystem(ModelDefinition model) : IModelSystem
{
    private readonly int _dimension = model.Info.States.Count;
    private readonly bool _hasJacobian = model.HasJacobian;
    private readonly bool _autonomous = model.IsAutonomous;
    private double[] _p = [], _u = [];

    public void Bind(double[] p, double[] u) { _p = p; _u = u; }

    public readonly int Dimension => _dimension;
    public readonly bool HasJacobian => _hasJacobian;
    public readonly bool IsAutonomous => _autonomous;

    public readonly void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => model.Derivatives(t, y, _p, _u, dydt);

    public readonly void Jacobian(double t, ReadOnlySpan<double> y, Span<double> dfdy) => model.Jacobian(t, y, _p, _u, dfdy);
}

/// <summary>The solver of a workspace, behind one non-generic face so that the workspace need not know the system type.</summary>
internal abstract class ModelIntegrator
{
    public abstract SolverStatistics Statistics { get; }
    public abstract bool SwitchedToStiff { get; }
    public abstract int EventCount { get; }
    public abstract int CopyEvents(Span<StateEvent> destination);
    public abstract void BeginSolve();

    /// <summary>Binds p and u, then integrates one segment (see <see cref="OdeSolver{TSystem}.Integrate"/>).</summary>
    public abstract IntegrationResult Integrate(double[] p, double[] u, double t0, double t1, Span<double> x,
        ReadOnlySpan<double> times, Span<double> states, ref int next, bool includeEnd, IRootFunction? roots);
}

/// <summary>Solvers specialised for one struct system type (one virtual call per segment, none per step).</summary>
internal sealed class ModelIntegrator<TSystem>(TSystem system, SolverOptions options) : ModelIntegrator
    where TSystem : struct, IModelSystem
{
    private readonly OdeIntegrator<TSystem> _integrator = new(system.Dimension, options);
    private TSystem _system = system;

    public override SolverStatistics Statistics => _integrator.Statistics;
    public override bool SwitchedToStiff => _integrator.SwitchedToStiff;
    public override int EventCount => _integrator.EventCount;
    public override int CopyEvents(Span<StateEvent> destination) => _integrator.CopyEvents(destination);
    public override void BeginSolve() => _integrator.BeginSolve();

    public override IntegrationResult Integrate(double[] p, double[] u, double t0, double t1, Span<double> x,
        ReadOnlySpan<double> times, Span<double> states, ref int next, bool includeEnd, IRootFunction? roots)
    {
        _system.Bind(p, u);
        return _integrator.Integrate(_system, t0, t1, x, times, states, ref next, includeEnd, roots);
    }
}
