using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Fhir.Twins;
using DthGrains.Grains.Runs;
using Marten;
using Microsoft.Extensions.Options;

namespace DthGrains.Grains.Twins;

/// <summary>
/// A what-if run of a twin: the model version, the personalised parameters and the plan; for a run on the platform also
/// the twin's command context (its owner is the run's owner, whom the policy decision point checks), the twin's dataset
/// and the purpose of the use.
/// </summary>
public sealed record ScenarioRunRequest(string TwinId, string ModelId, string ModelVersion, IReadOnlyDictionary<string, double> Parameters, WhatIfPlan Plan,
    CommandContext? Context = null, string? DatasetId = null, string? Purpose = null);

/// <summary>A scenario's prediction (with the twin's canonical request hash) and the simulation run that computed it, if any.</summary>
public sealed record ScenarioRunResult(WhatIfPrediction Prediction, string? RunId);

/// <summary>
/// The seam between twins and the simulation-run platform: a twin asks for a scenario to be run and gets the prediction
/// with its canonical request hash. <see cref="RunPlatformScenarioRunner"/> (the default) submits a run;
/// <see cref="LocalScenarioRunner"/> runs the pure engine on the thread pool (and recomputes predictions for exports).
/// </summary>
public interface IScenarioRunner
{
    /// <summary>A name for the lineage (recorded with every scenario test).</summary>
    string Name { get; }

    Task<Outcome<ScenarioRunResult>> RunAsync(ScenarioRunRequest request, CancellationToken ct = default);
}

/// <summary>Runs the pure engine off the grain turn, on the default scheduler.</summary>
public sealed class LocalScenarioRunner : IScenarioRunner
{
    public string Name => "local-engine";

    public async Task<Outcome<ScenarioRunResult>> RunAsync(ScenarioRunRequest request, CancellationToken ct = default) =>
        Outcome<ScenarioRunResult>.Ok(new ScenarioRunResult(await PredictAsync(request, ct), null), 0);

    /// <summary>The prediction of <paramref name="request"/> by the pure engine, on the thread pool.</summary>
    public static Task<WhatIfPrediction> PredictAsync(ScenarioRunRequest request, CancellationToken ct = default) =>
        Task.Run(() => TwinComputation.Predict(request.ModelId, request.ModelVersion, request.Parameters, request.Plan), ct);
}

/// <summary>
/// Runs a twin's scenario as a <c>single</c> run of the simulation platform: the model version, the personalised
/// parameters and the plan inline, on the engine's grid and tolerances of twin predictions, with the twin's dataset and
/// purpose (so the policy decision point checks <c>simulate</c> for the twin's owner, as for any run). Waits for the run
/// (bounded by <see cref="TwinOptions.ScenarioRunTimeout"/>; the run answers when it ends, nothing polls) and reads the
/// glucose trajectory from its results: for one subject the mean over time is the subject's trajectory.
/// </summary>
public sealed class RunPlatformScenarioRunner(IGrainFactory grains, IDocumentStore store, IOptions<TwinOptions> options) : IScenarioRunner
{
    public const string RunnerName = "run-platform";

    public string Name => RunnerName;

    /// <summary>
    /// The run request of a twin's scenario. The model version is left to the run, which names the engine's
    /// implementation of the model it simulates with (the catalogue release the twin is on, which can be newer than
    /// the implementation, is recorded by the twin and is in the twin's request hash).
    /// </summary>
    public static RunRequest RunRequestOf(ScenarioRunRequest r) =>
        new(RunKind.Single, r.ModelId, null, OutputStep: TwinComputation.Step,
            Solver: new RunSolverSettings("auto", TwinComputation.Solver.RelativeTolerance, TwinComputation.Solver.AbsoluteTolerance),
            Datasets: r.DatasetId is null ? null : [r.DatasetId], Purpose: r.Purpose, Parameters: r.Parameters,
            Plan: new RunWhatIfPlan(r.Plan.Hours, r.Plan.BasalUnitsPerHour, r.Plan.Meals.Select(m => new RunPlanMeal(m.AtMinute, m.Carbohydrate, m.BolusUnits)).ToArray(), r.Plan.Name));

    public async Task<Outcome<ScenarioRunResult>> RunAsync(ScenarioRunRequest request, CancellationToken ct = default)
    {
        var context = request.Context ?? throw new ArgumentException("A run on the platform needs the twin's command context.", nameof(request));
        var id = Guid.NewGuid().ToString("D");
        var run = grains.GetGrain<IRunGrain>(id);
        // Through the researcher's admission, as every run: a twin's scenario counts against their unfinished runs.
        var submitted = await grains.GetGrain<IRunAdmissionGrain>(context.Actor.Subject)
            .SubmitAsync(id, RunRequestOf(request), context with { Purpose = request.Purpose, IdempotencyKey = null, ExpectedVersion = null });
        if (!submitted.IsSuccess) return submitted.Problem!;

        var deadline = DateTime.UtcNow + options.Value.ScenarioRunTimeout;
        var view = submitted.Value!;
        while (view.Status is RunStatus.Submitted or RunStatus.Running)
        {
            if (DateTime.UtcNow >= deadline)
            {
                await run.CancelAsync("the twin's scenario test timed out", context with { IdempotencyKey = null, ExpectedVersion = null });
                return Problem.Unavailable($"Run '{id}' of the scenario did not complete within {options.Value.ScenarioRunTimeout.TotalSeconds:0} s; it was cancelled.");
            }
            Outcome<RunView> waited;
            try
            {
                waited = await run.WaitForEndAsync(context.Actor, deadline - DateTime.UtcNow);
            }
            catch (Exception ex) when (ex is OrleansException or TimeoutException)
            {
                // The run's silo went away mid-wait: the run comes back on a live silo; ask again shortly.
                await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
                continue;
            }
            if (!waited.IsSuccess) return waited.Problem!;
            view = waited.Value!;
        }
        if (view.Status != RunStatus.Completed)
            return new Problem(ProblemKind.Unprocessable, "The scenario run did not complete", $"Run '{id}' ended {view.Status.ToString().ToLowerInvariant()}: {view.StatusReason}");

        RunDocument? document;
        await using (var session = store.QuerySession())
            document = await session.LoadAsync<RunDocument>(id, ct);
        if (document?.Summary is not { } summary || Array.IndexOf(summary.Outputs, "G") is var g && g < 0)
            return new Problem(ProblemKind.Unprocessable, "The scenario run has no glucose results", $"Run '{id}' completed without the glucose output 'G'.");
        int nt = summary.Times.Length;
        var glucose = new double[nt];
        for (int t = 0; t < nt; t++)
        {
            if (summary.Mean[g * nt + t] is not { } v)
                return new Problem(ProblemKind.Unprocessable, "The scenario run failed", $"Run '{id}': the simulation of the twin's plan did not complete.");
            glucose[t] = v;
        }
        var hash = TwinComputation.PredictionHash(request.ModelId, request.ModelVersion, request.Parameters, request.Plan);
        return Outcome<ScenarioRunResult>.Ok(new ScenarioRunResult(TwinComputation.Prediction(summary.Times, glucose, hash), id), view.Version);
    }
}
