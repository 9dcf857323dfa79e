using DthGrains.Simulation.Models;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Engine;

/// <summary>Adapts a model with bound parameters and current inputs to the solver interface.</summary>
internal sealed class ModelSystem(ModelDefinition model, int parameterCount, int inputCount) : IOdeSystem
{
    public readonly double[] P = new double[parameterCount];
    public readonly double[] U = new double[inputCount];
    private readonly int _dimension = model.Info.States.Count;
    private readonly bool _hasJacobian = model.HasJacobian;
    private readonly bool _autonomous = model.IsAutonomous;

    public int Dimension => _dimension;
    public bool HasJacobian => _hasJacobian;
    public bool IsAutonomous => _autonomous;

    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => model.Derivatives(t, y, P, U, dydt);

    public void Jacobian(double t, ReadOnlySpan<double> y, Span<double> dfdy) => model.Jacobian(t, y, P, U, dfdy);
}
