using DthGrains.Simulation.Engine;
using DthGrains.Contracts.Governance;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Twins;
using DthGrains.Domain.Governance;
using DthGrains.Domain.Platform;

namespace DthGrains.Domain.Twins;

/// <summary>What the mapping of the subject's FHIR data found, and under which grant it was read.</summary>
public sealed record LinkFacts(string DatasetVersion, string DatasetInstitution, string? GrantId, TwinObservationWindow Glucose, int Meals, int Boluses,
    double? BasalUnitsPerHour, double? BodyWeightKg, string[] MappingWarnings, string[] UnmappedCodes, string? LatestVersion = null);

/// <summary>A calibration's result, computed off the grain turn.</summary>
public sealed record CalibrationFacts(string ModelVersion, string EngineVersion, TwinParameter[] Parameters, TwinFit Fit, TwinObservationWindow Observations, string RequestHash,
    int? ModelCredibilityLevel = null);

/// <summary>A validation's metrics on held-out observations.</summary>
public sealed record ValidationFacts(TwinMetrics Metrics, TwinObservationWindow HeldOut, string RequestHash);

/// <summary>A scenario's summary, from the scenario runner.</summary>
public sealed record ScenarioFacts(string ScenarioId, TwinScenario Scenario, TwinScenarioSummary Summary, string RequestHash, string Runner, string? RunId = null);

/// <summary>
/// What the twin rests on, as the catalogue and the grants say now: the model's and dataset's latest released versions
/// (null: unknown, no check), whether the grant is still live (null: no grant involved) and the engine's version.
/// </summary>
public sealed record DependencyFacts(string? ModelLatestVersion, string? DatasetLatestVersion, bool? GrantLive, string? GrantProblem, string EngineVersion,
    string? ModelWithdrawnBecause = null, string? DatasetWithdrawnBecause = null, string? ModelDeprecatedBecause = null);

/// <summary>The twin's pure decisions: each returns the events to append or the problem that refused the command.</summary>
public static class TwinDecisions
{
    public static Decision Design(TwinState s, TwinDesign d, Actor actor, string modelVersion, string engineVersion, int? modelCredibilityLevel, DateTimeOffset now)
    {
        if (s.Exists) return Problem.Conflict($"Twin '{s.Id}' already exists.", s.Version);
        var errors = new FieldErrors()
            .RequireText(d.Name, "name", 200)
            .RequireText(d.QuestionOfInterest, "questionOfInterest", 2000)
            .RequireText(d.ContextOfUse, "contextOfUse", 2000)
            .Require(Ids.IsValid(d.ModelId), "modelId", $"'modelId' is not a valid id: {Ids.Rule}.")
            .Require(AccessPolicy.TryParse<EhdsPurpose>(d.Purpose, out _), "purpose", "'purpose' is an EHDS Art. 53 purpose such as scientific-research or personalised-healthcare.")
            .Require(d.ModelInfluence is >= 1 and <= 3, "modelInfluence", "'modelInfluence' is 1 (low) to 3 (high).")
            .Require(d.DecisionConsequence is >= 1 and <= 3, "decisionConsequence", "'decisionConsequence' is 1 (low) to 3 (high).");
        var a = d.Acceptance ?? new TwinAcceptance();
        errors.Require(a.MaxMardPercent is > 0 and <= 100, "acceptance.maxMardPercent", "'maxMardPercent' is in (0, 100].")
            .Require(a.MaxAbsBias is > 0 and <= 100, "acceptance.maxAbsBias", "'maxAbsBias' is in (0, 100].")
            .Require(a.MinCoverage is >= 0 and <= 1, "acceptance.minCoverage", "'minCoverage' is in [0, 1].");
        if (errors.ToProblem() is { } invalid) return invalid;
        return Decision.Of(new TwinDesigned(s.Id, d.Name.Trim(), actor.Subject, actor.Institution, d.ModelId, modelVersion, engineVersion, modelCredibilityLevel,
            d.QuestionOfInterest.Trim(), d.ContextOfUse.Trim(), d.ModelInfluence, d.DecisionConsequence, a, d.Purpose, now));
    }

    /// <summary>Checks a link request before any data is read.</summary>
    public static Problem? CanLink(TwinState s, TwinDataLink link)
    {
        if (Alive(s) is { } dead) return dead;
        // Reading (and recording) a patient's data for a twin that can never be calibrated serves nobody.
        if (s.StaleReasons.FirstOrDefault(r => r.Cause == StaleCauses.ModelWithdrawn) is { } withdrawn)
            return Problem.Conflict($"The twin's model can no longer be used ({withdrawn.Reason}); retire the twin and design one on another model.", s.Version);
        var errors = new FieldErrors()
            .Require(Ids.IsValid(link.DatasetId), "datasetId", $"'datasetId' is not a valid id: {Ids.Rule}.")
            .Require(Ids.IsFhirId(link.Subject), "subject", "'subject' is the dataset subject's pseudonym, its Patient id in the data (a FHIR id: letters, digits, '-' and '.', at most 64, such as synth-00001).");
        return errors.ToProblem();
    }

    public static Decision Link(TwinState s, TwinDataLink link, LinkFacts f, DateTimeOffset now)
    {
        if (CanLink(s, link) is { } refused) return refused;
        if (s.Data is { } d && d.DatasetId == link.DatasetId && d.DatasetVersion == f.DatasetVersion && d.SubjectPseudonym == link.Subject
            && d.GrantId == f.GrantId && !s.StaleReasons.Any(r => StaleCauses.ConcernsData(r.Cause)))
            return Decision.Nothing;
        return Decision.Of(new TwinPatientDataLinked(s.Id, link.DatasetId, f.DatasetVersion, f.DatasetInstitution, link.Subject, f.GrantId, s.Design!.Purpose,
            f.Glucose, f.Meals, f.Boluses, f.BasalUnitsPerHour, f.BodyWeightKg, f.MappingWarnings, f.UnmappedCodes, now, f.LatestVersion));
    }

    public static Problem? CanCalibrate(TwinState s)
    {
        if (Alive(s) is { } dead) return dead;
        if (s.Data is null) return Problem.Conflict("Link patient data first (POST .../link).", s.Version);
        if (s.StaleReasons.FirstOrDefault(r => r.Cause == StaleCauses.ModelWithdrawn) is { } withdrawn)
            return Problem.Conflict($"The twin's model can no longer be used ({withdrawn.Reason}); retire the twin and design one on another model.", s.Version);
        if (s.StaleReasons.FirstOrDefault(r => StaleCauses.ConcernsData(r.Cause)) is { } data)
            return Problem.Conflict(data.Cause == StaleCauses.DatasetWithdrawn
                ? $"The linked data can no longer be used ({data.Reason}); link a subject of another dataset first."
                : $"The linked data can no longer be used ({data.Reason}); link the data again under a live grant first.", s.Version);
        return null;
    }

    public static Decision Calibrate(TwinState s, CalibrationFacts f, DateTimeOffset now)
    {
        if (CanCalibrate(s) is { } refused) return refused;
        var d = s.Data!;
        return Decision.Of(new TwinCalibrated(s.Id, s.Design!.ModelId, f.ModelVersion, f.EngineVersion, d.DatasetId, d.DatasetVersion, d.SubjectPseudonym, d.GrantId,
            f.Parameters, f.Fit, f.Observations, f.RequestHash, now, f.ModelCredibilityLevel));
    }

    public static Problem? CanValidate(TwinState s)
    {
        if (Alive(s) is { } dead) return dead;
        if (s.Calibration is null) return Problem.Conflict("Calibrate the twin first (POST .../calibrate).", s.Version);
        if (s.IsStale) return Problem.Conflict($"The twin is stale ({StaleText(s)}); recalibrate before validating.", s.Version);
        return null;
    }

    public static Decision Validate(TwinState s, ValidationFacts f, DateTimeOffset now)
    {
        if (CanValidate(s) is { } refused) return refused;
        var c = s.Calibration!;
        var failures = AcceptanceFailures(f.Metrics, s.Design!.Acceptance);
        return Decision.Of(new TwinValidated(s.Id, c.ModelId, c.ModelVersion, c.EngineVersion, c.DatasetId, c.DatasetVersion, c.SubjectPseudonym, c.GrantId,
            c.RequestHash, f.Metrics, s.Design.Acceptance, failures.Length == 0, failures, f.HeldOut, f.RequestHash, now));
    }

    /// <summary>The criteria the metrics miss, in words; empty when the twin passes.</summary>
    public static string[] AcceptanceFailures(TwinMetrics m, TwinAcceptance a)
    {
        var failures = new List<string>();
        if (m.Count == 0) failures.Add("no held-out observations");
        if (!(m.MardPercent <= a.MaxMardPercent)) failures.Add($"MARD {m.MardPercent:F1} % exceeds {a.MaxMardPercent:F1} %");
        if (!(Math.Abs(m.Bias) <= a.MaxAbsBias)) failures.Add($"bias {m.Bias:F2} exceeds ±{a.MaxAbsBias:F2}");
        if (!(m.Coverage >= a.MinCoverage)) failures.Add($"coverage {m.Coverage:P0} of the 95 % band is below {a.MinCoverage:P0}");
        return failures.ToArray();
    }

    public static Problem? CanTestScenario(TwinState s, TwinScenario scenario)
    {
        if (Alive(s) is { } dead) return dead;
        if (s.IsStale) return Problem.Conflict($"The twin is stale ({StaleText(s)}); recalibrate and revalidate before testing scenarios.", s.Version);
        if (s.Validation is not { Passed: true } || s.Stage is not (TwinStage.Validated or TwinStage.Active))
            return Problem.Conflict("Only a twin that passed validation can test scenarios.", s.Version);
        var errors = new FieldErrors()
            .RequireText(scenario.Name, "name", 200)
            .Require(scenario.Hours is > 0 and <= 24 * 14, "hours", "'hours' is in (0, 336].")
            .Require(scenario.Meals is { Length: <= 200 }, "meals", "'meals' is a list of at most 200 meals.")
            .Require(scenario.BasalUnitsPerHour is null or (>= 0 and <= 10), "basalUnitsPerHour", "'basalUnitsPerHour' is in [0, 10] U/h.")
            // A start the export's times can be counted from: a start at the end of the calendar (9999-12-31) was recorded,
            // and every later FHIR export of the twin failed on it.
            .Require(scenario.Start is null || (scenario.Start.Value.Year is >= 1900 and <= 2200), "start", "'start' is a date and time between the years 1900 and 2200.");
        for (int i = 0; i < (scenario.Meals?.Length ?? 0); i++)
        {
            var m = scenario.Meals![i];
            errors.Require(m is not null && m.AtMinute >= 0 && m.AtMinute <= scenario.Hours * 60, $"meals[{i}].atMinute",
                    $"'atMinute' is a minute within the scenario's {scenario.Hours:0.##} h: 0 to {scenario.Hours * 60:0.##}.")
                .Require(m is not null && m.Carbohydrate is >= 0 and <= 300, $"meals[{i}].carbohydrate", "'carbohydrate' is 0 to 300 g.")
                .Require(m is not null && m.BolusUnits is >= 0 and <= 50, $"meals[{i}].bolusUnits", "'bolusUnits' is 0 to 50 U.");
        }
        return errors.ToProblem();
    }

    public static Decision TestScenario(TwinState s, ScenarioFacts f, DateTimeOffset now)
    {
        if (CanTestScenario(s, f.Scenario) is { } refused) return refused;
        var c = s.Calibration!;
        return Decision.Of(new TwinScenarioTested(s.Id, f.ScenarioId, f.Scenario, f.Summary, c.ModelId, c.ModelVersion, c.EngineVersion, c.DatasetId, c.DatasetVersion,
            c.SubjectPseudonym, c.GrantId, c.RequestHash, f.RequestHash, f.Runner, now, f.RunId));
    }

    public static Decision Activate(TwinState s, Actor actor, DateTimeOffset now)
    {
        if (Alive(s) is { } dead) return dead;
        if (s.Stage == TwinStage.Active) return Decision.Nothing;
        if (s.IsStale) return Problem.Conflict($"A stale twin cannot be active ({StaleText(s)}); recalibrate and revalidate it first.", s.Version);
        if (s.Stage != TwinStage.Validated || s.Validation is null)
            return Problem.Conflict("Only a validated twin can be activated.", s.Version);
        if (!s.Validation.Passed)
            return Problem.Conflict($"The twin failed validation ({string.Join("; ", s.Validation.Failures)}); it cannot be activated.", s.Version);
        return Decision.Of(new TwinActivated(s.Id, actor.Subject, s.Validation.RequestHash, now));
    }

    public static Decision Retire(TwinState s, string? reason, Actor actor, DateTimeOffset now)
    {
        if (!s.Exists) return Problem.NotFound($"Twin '{s.Id}'");
        if (s.Stage == TwinStage.Retired) return Decision.Nothing;
        if (new FieldErrors().RequireText(reason, "reason", 1000).ToProblem() is { } invalid) return invalid;
        return Decision.Of(new TwinRetired(s.Id, actor.Subject, reason!.Trim(), now));
    }

    /// <summary>
    /// Compares what the twin rests on with the platform's present: a newer released model version, another engine
    /// version, a newer dataset version, a withdrawn model or dataset, a grant that is no longer live. Each new cause is recorded once, with its reason.
    /// </summary>
    public static Decision CheckDependencies(TwinState s, DependencyFacts f, DateTimeOffset now)
    {
        if (!s.Exists || s.Stage == TwinStage.Retired) return Decision.Nothing;
        var events = new List<object>();
        var d = s.Design!;
        if (f.ModelWithdrawnBecause is { } withdrawn && !s.IsStaleFor(StaleCauses.ModelWithdrawn))
            events.Add(new TwinMarkedStale(s.Id, StaleCauses.ModelWithdrawn, $"model {d.ModelId} was withdrawn from the catalogue: {withdrawn}", null, null, null, null, now));
        if (f.ModelDeprecatedBecause is { } deprecated && s.ModelDeprecation is null)
            events.Add(new TwinModelDeprecationNoted(s.Id, d.ModelId, deprecated, now));
        if (f.ModelLatestVersion is { } model && model != s.ModelVersion && !s.IsStaleFor(StaleCauses.ModelVersion))
            events.Add(new TwinMarkedStale(s.Id, StaleCauses.ModelVersion,
                $"model {d.ModelId} released version {model}; the twin rests on {s.ModelVersion}", model, null, null, null, now));
        if (!EngineIdentity.Same(f.EngineVersion, s.EngineVersion) && s.Calibration is not null && !s.IsStaleFor(StaleCauses.EngineVersion))
            events.Add(new TwinMarkedStale(s.Id, StaleCauses.EngineVersion,
                $"the simulation engine is now {f.EngineVersion}; the twin was calibrated with {s.EngineVersion}", null, f.EngineVersion, null, null, now));
        if (s.Data is { } data)
        {
            // Stale for a version released after the link: one already there when an older version was linked on purpose
            // (the version a grant covers) made a twin that could never be calibrated, relinking or not.
            if (f.DatasetLatestVersion is { } dv && dv != data.DatasetVersion && dv != data.LatestVersionAtLink && !s.IsStaleFor(StaleCauses.DatasetVersion))
                events.Add(new TwinMarkedStale(s.Id, StaleCauses.DatasetVersion,
                    $"dataset {data.DatasetId} released version {dv}; the twin rests on {data.DatasetVersion}", null, null, dv, data.GrantId, now));
            if (f.DatasetWithdrawnBecause is { } gone && !s.IsStaleFor(StaleCauses.DatasetWithdrawn))
                events.Add(new TwinMarkedStale(s.Id, StaleCauses.DatasetWithdrawn,
                    $"dataset {data.DatasetId} was withdrawn by its publisher: {gone}", null, null, null, data.GrantId, now));
            if (f.GrantLive == false && !s.IsStaleFor(StaleCauses.Grant))
                events.Add(new TwinMarkedStale(s.Id, StaleCauses.Grant,
                    $"grant {data.GrantId} no longer covers the data: {f.GrantProblem ?? "not live"}", null, null, null, data.GrantId, now));
        }
        return events.Count == 0 ? Decision.Nothing : new Decision(events, null);
    }

    /// <summary>
    /// Whether <paramref name="viewer"/> may export the twin's predictions now. The export computes on the patient's
    /// personalised parameters, so it is the owner's alone (an auditor reads the lineage and the recorded tests, not
    /// patient-level predictions, as the policy refuses auditors data reads), and needs what any use of the data needs
    /// at that moment, whatever the twin's stage: a live grant, a dataset and a model not withdrawn. A retired twin is
    /// no longer checked for staleness, so the facts are asked here, not read from its stale marks.
    /// </summary>
    public static Problem? MayExport(TwinState s, DependencyFacts f, Actor viewer)
    {
        if (!s.Exists) return Problem.NotFound($"Twin '{s.Id}'");
        if (viewer.Subject != s.Design!.Owner)
            return Problem.Forbidden("A twin's predictions are computed on its patient's data: only its owner exports them. Its lineage and recorded tests are in the audit (/api/audit/lineage?entity=twin:...).");
        var staleGrant = s.StaleReasons.FirstOrDefault(r => r.Cause == StaleCauses.Grant);
        if (f.GrantLive == false || staleGrant is not null)
            return Problem.Conflict($"The twin's data may not be used now ({f.GrantProblem ?? staleGrant?.Reason ?? "the grant is not live"}): link it under a live grant, recalibrate and test again.", s.Version);
        if (s.Data is { } data && f.DatasetWithdrawnBecause is { } gone)
            return Problem.Conflict($"Dataset {data.DatasetId} was withdrawn by its publisher ({gone}): the twin's data may not be used.", s.Version);
        if (f.ModelWithdrawnBecause is { } withdrawn)
            return Problem.Conflict($"Model {s.Design.ModelId} was withdrawn from the catalogue ({withdrawn}): its predictions are not exported.", s.Version);
        return null;
    }

    private static Problem? Alive(TwinState s) =>
        !s.Exists ? Problem.NotFound($"Twin '{s.Id}'")
        : s.Stage == TwinStage.Retired ? Problem.Conflict($"Twin '{s.Id}' is retired ({s.RetiredReason}).", s.Version)
        : null;

    private static string StaleText(TwinState s) => string.Join("; ", s.StaleReasons.Select(r => r.Reason));
}
