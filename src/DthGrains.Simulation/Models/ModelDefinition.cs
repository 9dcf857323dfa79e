using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Models;

/// <summary>
/// A physiological model of the engine: ODEs plus metadata. Implementations are stateless and thread-safe; all per-solve
/// state lives in spans the engine owns, so one instance serves every thread of a cohort run.
/// </summary>
public abstract class ModelDefinition : SimulationModel
{
    /// <summary>The engine's allocation-free workspace for this model.</summary>
    public override ISubjectSimulator CreateSimulator(SolverOptions options, ReadOnlySpan<double> outputTimes) => new SimulationWorkspace(this, options, outputTimes);

    /// <summary>dx/dt for states x, parameters p and the current (piecewise-constant) rate inputs u.</summary>
    public abstract void Derivatives(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> dxdt);

    /// <summary>True when <see cref="Jacobian"/> is analytic.</summary>
    public virtual bool HasJacobian => false;

    /// <summary>True when the equations do not depend on t except through the inputs (which are constant per segment).</summary>
    public virtual bool IsAutonomous => true;

    /// <summary>Analytic df/dx, row-major.</summary>
    public virtual void Jacobian(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> dfdx) =>
        throw new NotSupportedException($"Model '{Info.Id}' has no analytic Jacobian.");

    /// <summary>Default values of the rate inputs for these parameters (for example the basal insulin that holds fasting glucose).</summary>
    public virtual void DefaultInputs(ReadOnlySpan<double> p, Span<double> u)
    {
        var inputs = Info.Inputs;
        for (int i = 0; i < inputs.Count; i++) u[i] = inputs[i].Kind == InputKind.Rate ? inputs[i].DefaultValue : 0;
    }

    /// <summary>Initial state (usually the steady state under the inputs at t = 0).</summary>
    public abstract void InitialState(ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> x);

    /// <summary>Applies a bolus input (in the input's declared unit) as a jump of the state.</summary>
    public abstract void ApplyBolus(int input, double amount, ReadOnlySpan<double> p, Span<double> x);

    /// <summary>Observed outputs at time t.</summary>
    public abstract void Outputs(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> y);

    /// <summary>
    /// The solvers for a workspace of this model. The default calls <see cref="Derivatives"/> virtually; a model whose
    /// solve speed matters overrides this with a struct system (see <see cref="IModelSystem"/>) that the JIT inlines.
    /// </summary>
    internal virtual ModelIntegrator CreateIntegrator(SolverOptions options) => new ModelIntegrator<ModelSystem>(new ModelSystem(this), options);
}
