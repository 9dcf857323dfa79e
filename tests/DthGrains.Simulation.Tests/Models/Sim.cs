using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Tests.Models;

/// <summary>Test helper: simulate a model on a grid and read outputs by name.</summary>
internal sealed class Sim
{
    public double[] Times { get; }
    public double[] Values { get; }
    public ModelDefinition Model { get; }
    public SimulationWorkspace Workspace { get; }

    public Sim(ModelDefinition model, Scenario scenario, double step, IReadOnlyDictionary<string, double>? parameters = null, SolverOptions? options = null)
    {
        Model = model;
        var compiled = CompiledScenario.Compile(model.Info, scenario);
        int n = (int)Math.Round(compiled.Duration / step) + 1;
        Times = Enumerable.Range(0, n).Select(i => i * step).ToArray();
        Workspace = new SimulationWorkspace(model, options ?? new SolverOptions(SolverKind.Auto, 1e-8, 1e-10), Times);
        Values = new double[n * Workspace.OutputCount];
        Workspace.Solve(compiled, model.Parameters(parameters), Values).Should().Be(IntegrationStatus.Completed);
    }

    public double[] Series(string output)
    {
        int k = Model.Info.OutputIndex(output), ny = Workspace.OutputCount;
        return Enumerable.Range(0, Times.Length).Select(i => Values[i * ny + k]).ToArray();
    }

    /// <summary>Trapezoidal integral of an output over the grid.</summary>
    public double Integral(string output)
    {
        var s = Series(output);
        double sum = 0;
        for (int i = 1; i < s.Length; i++) sum += 0.5 * (s[i] + s[i - 1]) * (Times[i] - Times[i - 1]);
        return sum;
    }

    public double TimeOfMax(string output)
    {
        var s = Series(output);
        return Times[Array.IndexOf(s, s.Max())];
    }
}
