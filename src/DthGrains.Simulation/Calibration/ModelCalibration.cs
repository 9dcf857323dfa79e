using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Calibration;

/// <summary>Observations of one model output: times (model time units), values and optional standard deviations.</summary>
public sealed record Observations(string Output, double[] Times, double[] Values, double[]? StandardDeviations = null);

/// <summary>Fits chosen model parameters to observations under a scenario (the twin calibration step).</summary>
public static class ModelCalibration
{
    /// <summary>
    /// Weighted least squares on the model output: weights 1/σ² when standard deviations are given, else 1.
    /// Parameters not fitted keep <paramref name="baseParameters"/> (default: the model's defaults).
    /// </summary>
    public static FitResult Fit(ModelDefinition model, Scenario scenario, Observations data, IReadOnlyList<FitParameter> fit,
        SolverOptions? solver = null, double[]? baseParameters = null)
    {
        var compiled = CompiledScenario.Compile(model.Info, scenario);
        int output = model.Info.OutputIndex(data.Output), ny = model.Info.Outputs.Count;
        var ws = new SimulationWorkspace(model, solver ?? new SolverOptions(SolverKind.Auto, 1e-9, 1e-12), data.Times);
        var p = (double[])(baseParameters ?? model.DefaultParameters()).Clone();
        var idx = fit.Select(f => model.Info.ParameterIndex(f.Name)).ToArray();
        var y = new double[data.Times.Length * ny];
        var weights = data.StandardDeviations?.Select(s => 1 / (s * s)).ToArray();
        return LevenbergMarquardt.Fit(fit, data.Times.Length, (theta, r) =>
        {
            for (int k = 0; k < idx.Length; k++) p[idx[k]] = theta[k];
            var status = ws.Solve(compiled, p, y);
            for (int i = 0; i < r.Length; i++)
                r[i] = status == IntegrationStatus.Completed ? y[i * ny + output] - data.Values[i] : double.NaN;
        }, weights);
    }
}
