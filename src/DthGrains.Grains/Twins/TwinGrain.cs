using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Governance;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Twins;
using DthGrains.Domain.Platform;
using DthGrains.Domain.Twins;
using DthGrains.Fhir.Twins;
using DthGrains.Grains.Catalogue;
using DthGrains.Grains.Federation;
using DthGrains.Grains.Governance;
using DthGrains.Grains.Platform;
using Marten;
using Microsoft.Extensions.Options;

namespace DthGrains.Grains.Twins;

/// <summary>
/// One digital twin. Thin: folds its stream, checks what it rests on (catalogue and grant read models, engine version)
/// and records staleness, sends the work on the subject's data to the data (<see cref="ISubjectComputeGrain"/>, resident
/// on the owning institution's silos, which reads through the dataset's grain: policy checked, every read recorded with
/// the pseudonym) and receives only the results, decides with <see cref="TwinDecisions"/>, appends.
/// </summary>
public sealed class TwinGrain(IDocumentStore store, IScenarioRunner runner, IOptions<TwinOptions> options, InstitutionSilos silos) : EventSourcedGrain<TwinState>, ITwinGrain
{
    /// <summary>The grant action a twin needs on its data.</summary>
    public const string Action = SubjectComputeGrain.Action;

    private string Id => this.GetPrimaryKeyString();

    protected override string StreamKey => TwinEventTypes.StreamOf(Id);

    protected override TwinState InitialState() => TwinState.Initial(Id);

    protected override TwinState Evolve(TwinState state, object @event) => TwinState.Evolve(state, @event);

    private string EngineVersion => options.Value.EngineVersion;

    public async Task<Outcome<TwinView>> GetAsync(Actor viewer)
    {
        if (!MaySee(viewer)) return Problem.NotFound($"Twin '{Id}'");
        await CheckAsync(null);
        return Outcome<TwinView>.Ok(State.ToView(), Version);
    }

    public async Task<Outcome<TwinView>> DesignAsync(TwinDesign design, CommandContext context)
    {
        if (ReusedKey(context) is { } reused) return reused;
        if (State.Exists) return IsRepeat(context) ? Outcome<TwinView>.Ok(State.ToView(), Version) : Problem.Conflict($"Twin '{Id}' already exists.", Version);
        var now = Clock.GetUtcNow();
        if (TwinDecisions.Design(State, design, context.Actor, "0.0.0", EngineVersion, null, now).Problem is { } invalid) return invalid;
        await using var session = store.QuerySession();
        var model = await session.LoadAsync<CatalogueEntryDocument>(design.ModelId);
        if (model is null || model.Kind != ResourceKind.Model || (model.Status == ResourceStatus.Draft && model.Publisher != context.Actor.Institution))
            return Problem.Invalid("modelId", $"No model '{design.ModelId}' in the catalogue.");
        if (model.Status == ResourceStatus.Withdrawn)
            return Problem.Conflict($"Model '{model.Id}' was withdrawn from the catalogue ({model.StatusReason}): design the twin on another model.");
        if (TwinModels.PersonalParameters(model.Id) is null)
            return new Problem(ProblemKind.Unprocessable, "No twins of this model yet",
                $"Twins can be built from: {string.Join(", ", TwinModels.Supported)}; model '{model.Id}' has no FHIR mapping and personal parameters yet.");
        var version = design.ModelVersion ?? model.LatestVersion;
        if (version is null || !model.Versions.Contains(version))
            return Problem.Invalid("modelVersion", $"Model '{model.Id}' has no released version {version ?? "(none)"}; released: {string.Join(", ", model.Versions)}.");
        var modelForm = await ModelFormLevelAsync(model.Id, version);
        return await Run(context, s => TwinDecisions.Design(s, design, context.Actor, version, EngineVersion, modelForm, now));
    }

    /// <summary>The model version's own V&amp;V 40 record: its achieved model-form level carries into the twin's record.</summary>
    private async Task<int?> ModelFormLevelAsync(string modelId, string version)
    {
        var resource = await GrainFactory.GetGrain<IResourceGrain>(modelId).GetAsync(Actor.System());
        return resource.Value?.Versions.FirstOrDefault(v => v.Version == version)?.Credibility?.Factors
            .FirstOrDefault(f => f.Factor == CredibilityFactor.ModelForm)?.Achieved;
    }

    public async Task<Outcome<TwinView>> LinkDataAsync(TwinDataLink link, CommandContext context)
    {
        if (MayCommand(context.Actor) is { } refused) return refused;
        // What the twin rests on is checked before the If-Match: a stale mark it records changes the version, and was
        // answered 412 only at the end, after the data had been read and computed on.
        await CheckAsync(context);
        if (AnsweredUpFront(context) is { } answered) return Answer(answered);
        if (TwinDecisions.CanLink(State, link) is { } invalid) return invalid;
        await using var session = store.QuerySession();
        var dataset = await session.LoadAsync<CatalogueEntryDocument>(link.DatasetId);
        if (dataset is null || dataset.Kind != ResourceKind.Dataset || (dataset.Status == ResourceStatus.Draft && dataset.Publisher != context.Actor.Institution))
            return Problem.NotFound($"Dataset '{link.DatasetId}'");
        var version = link.DatasetVersion ?? dataset.LatestVersion;
        if (version is null || !dataset.Versions.Contains(version)) return Problem.NotFound($"Version {version ?? "(none)"} of dataset '{link.DatasetId}'");

        var modelId = State.Design!.ModelId;
        var linked = await AtTheDataAsync(dataset.Publisher, link.DatasetId, (g, c) => g.LinkAsync(version, link.Subject, modelId, c), context);
        if (!linked.IsSuccess) return linked.Problem!;
        var r = linked.Value!;
        var facts = new LinkFacts(version, dataset.Publisher, r.GrantId, r.Glucose, r.Meals, r.Boluses, r.BasalUnitsPerHour, r.BodyWeightKg, r.MappingWarnings, r.UnmappedCodes,
            dataset.LatestVersion);
        return await Run(context, s => TwinDecisions.Link(s, link, facts, Clock.GetUtcNow()));
    }

    public async Task<Outcome<TwinView>> CalibrateAsync(CommandContext context)
    {
        if (MayCommand(context.Actor) is { } refused) return refused;
        await CheckAsync(context);
        if (AnsweredUpFront(context) is { } answered) return Answer(answered);
        if (TwinDecisions.CanCalibrate(State) is { } blocked) return blocked;
        // Recalibration moves the twin onto the model's latest released version (what clears model-version staleness).
        string modelVersion;
        await using (var session = store.QuerySession())
            modelVersion = (await session.LoadAsync<CatalogueEntryDocument>(State.Design!.ModelId))?.LatestVersion ?? State.ModelVersion;
        var engine = EngineVersion;
        var modelId = State.Design!.ModelId;
        var fit = await OnLinkedDataAsync((g, d, c) => g.CalibrateAsync(d.DatasetVersion, d.SubjectPseudonym, modelId, modelVersion, c), context);
        if (!fit.IsSuccess) return fit.Problem!;
        var facts = new CalibrationFacts(modelVersion, engine, fit.Value!.Parameters, fit.Value.Fit, fit.Value.Observations, fit.Value.RequestHash,
            await ModelFormLevelAsync(State.Design!.ModelId, modelVersion));
        return await Run(context, s => TwinDecisions.Calibrate(s, facts, Clock.GetUtcNow()));
    }

    public async Task<Outcome<TwinView>> ValidateAsync(CommandContext context)
    {
        if (MayCommand(context.Actor) is { } refused) return refused;
        await CheckAsync(context);
        if (AnsweredUpFront(context) is { } answered) return Answer(answered);
        if (TwinDecisions.CanValidate(State) is { } blocked) return blocked;
        var fitted = State.Calibration!.Parameters.ToArray();
        var modelVersion = State.Calibration.ModelVersion;
        var modelId = State.Design!.ModelId;
        var result = await OnLinkedDataAsync((g, d, c) => g.ValidateAsync(d.DatasetVersion, d.SubjectPseudonym, modelId, modelVersion, fitted, c), context);
        if (!result.IsSuccess) return result.Problem!;
        var facts = new ValidationFacts(result.Value!.Metrics, result.Value.HeldOut, result.Value.RequestHash);
        return await Run(context, s => TwinDecisions.Validate(s, facts, Clock.GetUtcNow()));
    }

    public async Task<Outcome<TwinView>> TestScenarioAsync(TwinScenario scenario, CommandContext context)
    {
        if (MayCommand(context.Actor) is { } refused) return refused;
        await CheckAsync(context);
        if (AnsweredUpFront(context) is { } answered) return Answer(answered);
        if (TwinDecisions.CanTestScenario(State, scenario) is { } blocked) return blocked;
        var basal = scenario.BasalUnitsPerHour ?? State.Data!.BasalUnitsPerHour;
        if (basal is null) return Problem.Invalid("basalUnitsPerHour", "The patient's data has no basal rate: give 'basalUnitsPerHour'.");
        // The scenario as run: the basal and start made explicit, so the record says exactly what was simulated.
        var resolved = scenario with { BasalUnitsPerHour = basal, Start = scenario.Start ?? new DateTimeOffset(State.Data!.Glucose.To.UtcDateTime.Date.AddDays(1), TimeSpan.Zero) };
        // Checked as resolved before the run: a data's basal above what a scenario takes was refused after the run, on a
        // field the caller never sent.
        if (scenario.BasalUnitsPerHour is null && TwinDecisions.CanTestScenario(State, resolved) is not null)
            return Problem.Invalid("basalUnitsPerHour", $"The patient's data has a basal rate of {basal:0.##} U/h, outside the 0 to 10 U/h a scenario takes: give 'basalUnitsPerHour'.");
        var ran = await runner.RunAsync(RunRequestOf(resolved, context: context));
        if (!ran.IsSuccess) return ran.Problem!;
        var (prediction, runId) = ran.Value!;
        var summary = new TwinScenarioSummary(Math.Round(prediction.Mean, 2), Math.Round(prediction.Min, 2), Math.Round(prediction.Max, 2),
            prediction.InRangePercent, prediction.BelowRangePercent, prediction.AboveRangePercent, "mmol/L");
        var facts = new ScenarioFacts(TwinComputation.ScenarioId(prediction.RequestHash, Version), resolved, summary, prediction.RequestHash, runner.Name, runId);
        return await Run(context, s => TwinDecisions.TestScenario(s, facts, Clock.GetUtcNow()));
    }

    public async Task<Outcome<TwinView>> ActivateAsync(CommandContext context)
    {
        if (MayCommand(context.Actor) is { } refused) return refused;
        await CheckAsync(context);
        return await Run(context, s => TwinDecisions.Activate(s, context.Actor, Clock.GetUtcNow()));
    }

    public async Task<Outcome<TwinView>> RetireAsync(string reason, CommandContext context)
    {
        if (MayCommand(context.Actor) is { } refused) return refused;
        return await Run(context, s => TwinDecisions.Retire(s, reason, context.Actor, Clock.GetUtcNow()));
    }

    /// <summary>A repeat's first answer, or the refusal a command got before its work (a reused key, a stale If-Match).</summary>
    private Outcome<TwinView> Answer((long Version, Problem? Problem) answered) =>
        answered.Problem ?? Outcome<TwinView>.Ok(State.ToView(), answered.Version);

    public async Task<Outcome<string>> ExportFhirAsync(Actor viewer, string? scenarioId)
    {
        if (!MaySee(viewer)) return Problem.NotFound($"Twin '{Id}'");
        await CheckAsync(null);
        // The export computes on the patient's personalised parameters: the owner's alone, and not without a live grant
        // or with a withdrawn dataset or model, asked now whatever the twin's stage (a retired twin is not checked).
        if (TwinDecisions.MayExport(State, await GatherAsync(), viewer) is { } refused) return refused;
        // Not once the twin's data changed under its tests (linked again: no calibration the tests were made with).
        if (State.Calibration is null)
            return Problem.Conflict("The twin has no calibration since its data was linked again: calibrate, validate and test a scenario, then export.", Version);
        var test = scenarioId is null ? State.Scenarios.LastOrDefault() : State.Scenarios.FirstOrDefault(x => x.ScenarioId == scenarioId);
        if (test is null)
            return scenarioId is null ? Problem.Conflict("The twin has no scenario tests yet: test a scenario first.", Version) : Problem.NotFound($"Scenario '{scenarioId}' of twin '{Id}'");
        // The export recomputes the prediction with the pure engine and checks it still has the recorded request hash.
        var prediction = await LocalScenarioRunner.PredictAsync(RunRequestOf(test.Scenario, test.ModelVersion));
        if (prediction.RequestHash != test.RequestHash)
            return Problem.Conflict($"The recorded request {test.RequestHash} is no longer reproduced (now {prediction.RequestHash}); test the scenario again.", Version);
        var d = State.Design!;
        var source = new TwinExportSource(Id, d.Name, Version.ToString(System.Globalization.CultureInfo.InvariantCulture), d.ModelId, test.ModelVersion, test.EngineVersion,
            test.DatasetId, test.DatasetVersion, test.SubjectPseudonym, test.GrantId, test.CalibrationRequestHash, State.Validation?.RequestHash, test.ScenarioId,
            test.Scenario.Name, test.Scenario.Start!.Value, test.TestedAt);
        var json = await Task.Run(() => TwinFhirExport.Build(source, prediction));
        return Outcome<string>.Ok(json, Version);
    }

    public Task CheckDependenciesAsync() => CheckAsync(null);

    private ScenarioRunRequest RunRequestOf(TwinScenario scenario, string? modelVersion = null, CommandContext? context = null)
    {
        var parameters = new Dictionary<string, double>(State.Calibration!.Parameters.ToDictionary(p => p.Name, p => p.Estimate), StringComparer.Ordinal);
        if (State.Data!.BodyWeightKg is { } bw) parameters["BW"] = bw;
        var plan = new WhatIfPlan(scenario.Name, scenario.Hours, scenario.Meals.Select(m => new PlannedMealDose(m.AtMinute, m.Carbohydrate, m.BolusUnits)).ToArray(),
            scenario.BasalUnitsPerHour!.Value);
        return new ScenarioRunRequest(Id, State.Design!.ModelId, modelVersion ?? State.Calibration.ModelVersion, parameters, plan, context, State.Data.DatasetId, State.Design.Purpose);
    }

    /// <summary>
    /// Works on the linked subject's data again at the data (each use is checked by the policy and recorded); a refusal
    /// re-checks what the twin rests on, so a revoked or expired grant is recorded as staleness.
    /// </summary>
    private async Task<Outcome<T>> OnLinkedDataAsync<T>(Func<ISubjectComputeGrain, TwinPatientDataLinked, CommandContext, Task<Outcome<T>>> work, CommandContext context)
    {
        var d = State.Data!;
        var done = await AtTheDataAsync(d.DatasetInstitution, d.DatasetId, (g, c) => work(g, d, c), context);
        if (!done.IsSuccess && done.Problem!.Kind == ProblemKind.Forbidden) await CheckAsync(context);
        return done;
    }

    /// <summary>
    /// Calls the subject's compute grain on the owning institution's silos under the twin's purpose. With no live silo
    /// of that institution (or when its last one leaves during the call) the answer is 503: the data stay at home.
    /// </summary>
    private async Task<Outcome<T>> AtTheDataAsync<T>(string institution, string datasetId, Func<ISubjectComputeGrain, CommandContext, Task<Outcome<T>>> work, CommandContext context)
    {
        if (silos.LiveSilosOf(institution).Count == 0) return NoSiloOf(institution);
        var grain = GrainFactory.GetGrain<ISubjectComputeGrain>(DatasetKeys.For(institution, datasetId));
        try
        {
            return await work(grain, context with { Purpose = State.Design!.Purpose, ExpectedVersion = null });
        }
        catch (Exception ex) when (ex is OrleansException or SiloUnavailableException or TimeoutException)
        {
            return NoSiloOf(institution);
        }
    }

    private static Problem NoSiloOf(string institution) =>
        Problem.Unavailable($"Institution '{institution}' has no live silo. Its data stay at home: the twin cannot work on them until one of its silos is back.");

    /// <summary>Checks what the twin rests on against the platform's present and records any new staleness as the platform.</summary>
    private async Task CheckAsync(CommandContext? cause)
    {
        if (!State.Exists || State.Stage == TwinStage.Retired) return;
        var facts = await GatherAsync();
        if (TwinDecisions.CheckDependencies(State, facts, Clock.GetUtcNow()).Events.Count == 0) return;
        var context = CommandContext.ForSystem(State.Design!.OwnerInstitution, cause?.CorrelationId ?? $"twin-check-{Id}") with { CausationId = cause?.CausationId, TraceId = cause?.TraceId };
        await ExecuteAsync(context, s => TwinDecisions.CheckDependencies(s, facts, Clock.GetUtcNow()));
    }

    private async Task<DependencyFacts> GatherAsync()
    {
        await using var session = store.QuerySession();
        var model = await session.LoadAsync<CatalogueEntryDocument>(State.Design!.ModelId);
        var data = State.Data;
        var dataset = data is null ? null : await session.LoadAsync<CatalogueEntryDocument>(data.DatasetId);
        bool? live = null;
        string? problem = null;
        if (data?.GrantId is { } grantId)
        {
            var grant = await session.LoadAsync<GrantDocument>(grantId);
            var now = Clock.GetUtcNow();
            live = grant is { Status: GrantStatus.Active } && grant.ValidUntil > now && grant.Actions.Contains(PermittedAction.Simulate);
            problem = grant is null ? "the grant is unknown" : grant.StatusReason ?? (grant.ValidUntil <= now ? $"expired at {grant.ValidUntil:O}" : null);
        }
        return new DependencyFacts(model?.LatestVersion, dataset?.LatestVersion, live, problem, EngineVersion,
            model is { Status: ResourceStatus.Withdrawn } withdrawn ? withdrawn.StatusReason ?? "no reason recorded" : null,
            dataset is { Status: ResourceStatus.Withdrawn } gone ? gone.StatusReason ?? "no reason recorded" : null,
            model is { Status: ResourceStatus.Deprecated } deprecated ? deprecated.StatusReason ?? "no reason recorded" : null);
    }

    private bool MaySee(Actor viewer) =>
        State.Exists && (viewer.Subject == State.Design!.Owner || viewer.HasRole(Roles.Auditor) || viewer.HasRole(Roles.PlatformAdmin) || viewer.HasRole(Roles.System));

    private Problem? MayCommand(Actor actor) =>
        !State.Exists ? Problem.NotFound($"Twin '{Id}'")
        : actor.Subject == State.Design!.Owner ? null
        : MaySee(actor) ? Problem.Forbidden("Only the twin's owner can change it.")
        : Problem.NotFound($"Twin '{Id}'");

    private async Task<Outcome<TwinView>> Run(CommandContext context, Func<TwinState, Decision> decide)
    {
        var (version, problem) = await ExecuteAsync(context, decide);
        if (problem is not null) return problem;
        return Outcome<TwinView>.Ok(State.ToView(), version);
    }
}
