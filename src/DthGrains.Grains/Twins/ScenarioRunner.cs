using DthGrains.Fhir.Twins;

namespace DthGrains.Grains.Twins;

/// <summary>A what-if run of a twin: the model version, the personalised parameters and the plan.</summary>
public sealed record ScenarioRunRequest(string TwinId, string ModelId, string ModelVersion, IReadOnlyDictionary<string, double> Parameters, WhatIfPlan Plan);

/// <summary>
/// The seam between twins and the simulation-run platform: a twin asks for a scenario to be run and gets the prediction
/// with its canonical request hash. Today <see cref="LocalScenarioRunner"/> runs the pure engine on the thread pool; the
/// run platform (RunGrain and workers) can take its place without the twin changing.
/// </summary>
public interface IScenarioRunner
{
    /// <summary>A name for the lineage (recorded with every scenario test).</summary>
    string Name { get; }

    Task<WhatIfPrediction> RunAsync(ScenarioRunRequest request, CancellationToken ct = default);
}

/// <summary>Runs the pure engine off the grain turn, on the default scheduler.</summary>
public sealed class LocalScenarioRunner : IScenarioRunner
{
    public string Name => "local-engine";

    public Task<WhatIfPrediction> RunAsync(ScenarioRunRequest request, CancellationToken ct = default) =>
        Task.Run(() => TwinComputation.Predict(request.ModelId, request.ModelVersion, request.Parameters, request.Plan), ct);
}
