using System.Collections.Immutable;
using DthGrains.Contracts.Twins;

namespace DthGrains.Domain.Twins;

/// <summary>The lifecycle stage, apart from staleness and retirement, which the view folds in.</summary>
public enum TwinStage
{
    Designed,
    DataLinked,
    Calibrated,
    Validated,
    Active,
    Retired,
}

/// <summary>One twin, folded from its stream.</summary>
public sealed record TwinState(
    string Id,
    bool Exists,
    TwinDesigned? Design,
    TwinStage Stage,
    string ModelVersion,
    string EngineVersion,
    TwinPatientDataLinked? Data,
    TwinCalibrated? Calibration,
    TwinValidated? Validation,
    ImmutableList<TwinScenarioTested> Scenarios,
    ImmutableList<TwinStaleReason> StaleReasons,
    string? RetiredReason,
    long Version,
    DateTimeOffset UpdatedAt)
{
    /// <summary>Why the twin's model was deprecated, once noted; null while it is not.</summary>
    public string? ModelDeprecation { get; init; }

    public static TwinState Initial(string id) => new(id, false, null, TwinStage.Designed, "", "", null, null, null, [], [], null, 0, default);

    public bool IsStale => StaleReasons.Count > 0;

    public bool IsStaleFor(string cause) => StaleReasons.Any(r => r.Cause == cause);

    public TwinStatus Status => Stage == TwinStage.Retired ? TwinStatus.Retired
        : IsStale ? TwinStatus.Stale
        : Stage switch
        {
            TwinStage.Designed => TwinStatus.Designed,
            TwinStage.DataLinked => TwinStatus.DataLinked,
            TwinStage.Calibrated => TwinStatus.Calibrated,
            TwinStage.Validated => TwinStatus.Validated,
            _ => TwinStatus.Active,
        };

    public static TwinState Evolve(TwinState s, object @event) => (@event switch
    {
        TwinDesigned e => s with
        {
            Exists = true, Design = e, Stage = TwinStage.Designed, ModelVersion = e.ModelVersion, EngineVersion = e.EngineVersion, UpdatedAt = e.DesignedAt,
        },
        TwinPatientDataLinked e => s with
        {
            Data = e, Calibration = null, Validation = null, Stage = TwinStage.DataLinked, UpdatedAt = e.LinkedAt,
            StaleReasons = s.StaleReasons.RemoveAll(r => StaleCauses.ConcernsData(r.Cause)),
        },
        TwinCalibrated e => s with
        {
            Calibration = e, Validation = null, Stage = TwinStage.Calibrated, ModelVersion = e.ModelVersion, EngineVersion = e.EngineVersion,
            UpdatedAt = e.CalibratedAt,
            StaleReasons = s.StaleReasons.RemoveAll(r => r.Cause is StaleCauses.ModelVersion or StaleCauses.EngineVersion),
        },
        TwinValidated e => s with { Validation = e, Stage = TwinStage.Validated, UpdatedAt = e.ValidatedAt },
        TwinScenarioTested e => s with { Scenarios = s.Scenarios.Add(e), UpdatedAt = e.TestedAt },
        TwinActivated e => s with { Stage = TwinStage.Active, UpdatedAt = e.ActivatedAt },
        TwinRetired e => s with { Stage = TwinStage.Retired, RetiredReason = e.Reason, UpdatedAt = e.RetiredAt },
        // A stale twin cannot stay active: it drops back to validated until recalibrated and revalidated.
        TwinMarkedStale e => s with
        {
            StaleReasons = s.StaleReasons.Add(new TwinStaleReason(e.Cause, e.Reason, e.MarkedAt)),
            Stage = s.Stage == TwinStage.Active ? TwinStage.Validated : s.Stage,
            UpdatedAt = e.MarkedAt,
        },
        TwinModelDeprecationNoted e => s with { ModelDeprecation = e.Reason, UpdatedAt = e.NotedAt },
        _ => s,
    }) with { Version = s.Version + 1 };

    /// <summary>What the owner should know that does not stop the twin: a deprecated model.</summary>
    public string[] Notices() => ModelDeprecation is { } deprecated
        ? [$"model {Design!.ModelId} is deprecated in the catalogue ({deprecated}): the twin still works; consider a twin on its successor"]
        : [];

    public TwinView ToView() => new(
        Id, Design!.Name, Design.Owner, Design.OwnerInstitution, Status, StaleReasons.ToArray(), Design.ModelId, ModelVersion, EngineVersion,
        Design.Purpose, Design.QuestionOfInterest, Design.ContextOfUse, Design.Acceptance,
        Data is { } d
            ? new TwinDataView(d.DatasetId, d.DatasetVersion, d.DatasetInstitution, d.SubjectPseudonym, d.GrantId, d.Glucose, d.Meals, d.Boluses,
                d.BasalUnitsPerHour, d.BodyWeightKg, d.MappingWarnings, d.UnmappedCodes, d.LinkedAt)
            : null,
        Calibration is { } c ? new TwinCalibrationView(c.Parameters, c.Fit, c.Observations, c.ModelVersion, c.EngineVersion, c.RequestHash, c.CalibratedAt) : null,
        Validation is { } v ? new TwinValidationView(v.Metrics, v.Acceptance, v.Passed, v.Failures, v.HeldOut, v.RequestHash, v.ValidatedAt) : null,
        Scenarios.Select(x => new TwinScenarioView(x.ScenarioId, x.Scenario, x.Summary, x.RequestHash, x.ModelVersion, x.EngineVersion, x.TestedAt, x.RunId)).ToArray(),
        TwinCredibility.Assess(this), RetiredReason, Version, Design.DesignedAt, UpdatedAt) { Notices = Notices() };
}
