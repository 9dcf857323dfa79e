using DthGrains.Simulation.Models;
using DthGrains.Simulation.Reproducibility;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Engine;

/// <summary>
/// Entry point for callers that hold a <see cref="SimulationRequest"/> (the grains, the CLI). CPU-bound and
/// synchronous: call it off the grain turn. For many solves of one model use <see cref="SimulationWorkspace"/>
/// directly, which allocates nothing per solve.
/// </summary>
public static class SimulationEngine
{
    /// <summary>Runs a single-individual simulation (the request's cohort, if any, is ignored here: see SubjectShardRunner).</summary>
    public static SimulationResult Run(SimulationRequest request, IRootFunction? roots = null)
    {
        var model = ModelLibrary.GetEngine(request.ModelId, request.ModelVersion);
        var scenario = CompiledScenario.Compile(model.Info, request.Scenario);
        var p = model.Parameters(request.Parameters);
        var times = request.Output.Times();
        var ws = new SimulationWorkspace(model, request.Solver, times) { Roots = roots };
        var values = new double[times.Length * ws.OutputCount];
        var status = ws.Solve(scenario, p, values);
        var events = new StateEvent[ws.EventCount];
        ws.CopyEvents(events);
        var info = model.Info;
        return new SimulationResult(
            RequestHasher.Hash(request), info.Id, info.Version, times,
            info.Outputs.Select(o => o.Name).ToArray(), info.Outputs.Select(o => o.Unit.Symbol).ToArray(),
            values, status, ws.Statistics, events);
    }

    /// <summary>A request for a model's reference scenario with default parameters, tolerances and a grid step.</summary>
    public static SimulationRequest ReferenceRequest(string modelIdOrAlias, double outputStep, SolverOptions? solver = null)
    {
        var model = ModelLibrary.GetEngine(modelIdOrAlias);
        var s = model.ReferenceScenario;
        double duration = s.TimeUnit.ConvertTo(s.Duration, model.Info.TimeUnit);
        return new SimulationRequest(model.Info.Id, model.Info.Version, s, solver ?? new SolverOptions(), new OutputGrid(0, duration, outputStep));
    }
}
