using DthGrains.Contracts.Catalogue;

namespace DthGrains.Contracts.Twins;

/// <summary>Where a twin is in its lifecycle. <see cref="Stale"/> is shown while anything the twin rests on has changed.</summary>
public enum TwinStatus
{
    Designed,
    DataLinked,
    Calibrated,
    Validated,
    Active,
    Stale,
    Retired,
}

/// <summary>
/// Acceptance criteria of a twin's context of use, checked on held-out observations (V&amp;V 40 "output comparison"):
/// mean absolute relative difference at most <see cref="MaxMardPercent"/>, absolute mean bias at most
/// <see cref="MaxAbsBias"/> (in the model output's unit) and coverage of the 95 % prediction band at least <see cref="MinCoverage"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("dth.twins.acceptance")]
public sealed record TwinAcceptance(
    [property: Id(0)] double MaxMardPercent = 15,
    [property: Id(1)] double MaxAbsBias = 1.0,
    [property: Id(2)] double MinCoverage = 0.8);

/// <summary>What to build: the model (catalogue id, version: latest when null), the V&amp;V 40 header and the EHDS purpose of its data use.</summary>
[GenerateSerializer, Immutable, Alias("dth.twins.design")]
public sealed record TwinDesign(
    [property: Id(0)] string Name,
    [property: Id(1)] string ModelId,
    [property: Id(2)] string? ModelVersion,
    [property: Id(3)] string QuestionOfInterest,
    [property: Id(4)] string ContextOfUse,
    [property: Id(5)] string Purpose,
    [property: Id(6)] int ModelInfluence = 2,
    [property: Id(7)] int DecisionConsequence = 2,
    [property: Id(8)] TwinAcceptance? Acceptance = null);

/// <summary>The patient data to personalise on: a dataset (version: latest when null) and one subject's pseudonym.</summary>
[GenerateSerializer, Immutable, Alias("dth.twins.data-link")]
public sealed record TwinDataLink(
    [property: Id(0)] string DatasetId,
    [property: Id(1)] string? DatasetVersion,
    [property: Id(2)] string Subject);

/// <summary>A meal of a what-if plan: minutes from the scenario start, carbohydrate (g) and the bolus given with it (U).</summary>
[GenerateSerializer, Immutable, Alias("dth.twins.meal")]
public sealed record TwinMeal(
    [property: Id(0)] double AtMinute,
    [property: Id(1)] double Carbohydrate,
    [property: Id(2)] double BolusUnits = 0);

/// <summary>A what-if scenario: a meal plan and dose regimen over some hours, basal from the patient's data unless given.</summary>
[GenerateSerializer, Immutable, Alias("dth.twins.scenario")]
public sealed record TwinScenario(
    [property: Id(0)] string Name,
    [property: Id(1)] double Hours,
    [property: Id(2)] TwinMeal[] Meals,
    [property: Id(3)] double? BasalUnitsPerHour = null,
    [property: Id(4)] DateTimeOffset? Start = null);

/// <summary>One fitted parameter with its standard error (delta method from the log-scale fit), unit and bounds.</summary>
[GenerateSerializer, Immutable, Alias("dth.twins.parameter")]
public sealed record TwinParameter(
    [property: Id(0)] string Name,
    [property: Id(1)] double Estimate,
    [property: Id(2)] double StandardError,
    [property: Id(3)] string Unit,
    [property: Id(4)] double Lower,
    [property: Id(5)] double Upper);

/// <summary>Fit quality: convergence, weighted sum of squares, residual variance (≈ 1 when the noise model holds), RMSE.</summary>
[GenerateSerializer, Immutable, Alias("dth.twins.fit")]
public sealed record TwinFit(
    [property: Id(0)] bool Converged,
    [property: Id(1)] int Iterations,
    [property: Id(2)] double WeightedSumOfSquares,
    [property: Id(3)] double ResidualVariance,
    [property: Id(4)] double Rmse);

/// <summary>The observations a step used: how many, of which kind (LOINC), over which time window.</summary>
[GenerateSerializer, Immutable, Alias("dth.twins.observation-window")]
public sealed record TwinObservationWindow(
    [property: Id(0)] string Kind,
    [property: Id(1)] int Count,
    [property: Id(2)] DateTimeOffset From,
    [property: Id(3)] DateTimeOffset To);

/// <summary>Validation metrics on held-out observations (ValidationMetrics of the engine).</summary>
[GenerateSerializer, Immutable, Alias("dth.twins.metrics")]
public sealed record TwinMetrics(
    [property: Id(0)] double Rmse,
    [property: Id(1)] double Mae,
    [property: Id(2)] double MardPercent,
    [property: Id(3)] double Bias,
    [property: Id(4)] double Coverage,
    [property: Id(5)] int Count);

/// <summary>What a scenario predicts, summarised: glucose statistics and times in, below and above range (3.9–10 mmol/L).</summary>
[GenerateSerializer, Immutable, Alias("dth.twins.scenario-summary")]
public sealed record TwinScenarioSummary(
    [property: Id(0)] double MeanGlucose,
    [property: Id(1)] double MinGlucose,
    [property: Id(2)] double MaxGlucose,
    [property: Id(3)] double TimeInRangePercent,
    [property: Id(4)] double TimeBelowRangePercent,
    [property: Id(5)] double TimeAboveRangePercent,
    [property: Id(6)] string Unit);

/// <summary>The patient data a twin is linked to (pseudonym only) and what the mapping found.</summary>
[GenerateSerializer, Immutable, Alias("dth.twins.data-view")]
public sealed record TwinDataView(
    [property: Id(0)] string DatasetId,
    [property: Id(1)] string DatasetVersion,
    [property: Id(2)] string DatasetInstitution,
    [property: Id(3)] string SubjectPseudonym,
    [property: Id(4)] string? GrantId,
    [property: Id(5)] TwinObservationWindow Glucose,
    [property: Id(6)] int Meals,
    [property: Id(7)] int Boluses,
    [property: Id(8)] double? BasalUnitsPerHour,
    [property: Id(9)] double? BodyWeightKg,
    [property: Id(10)] string[] MappingWarnings,
    [property: Id(11)] string[] UnmappedCodes,
    [property: Id(12)] DateTimeOffset LinkedAt);

[GenerateSerializer, Immutable, Alias("dth.twins.calibration-view")]
public sealed record TwinCalibrationView(
    [property: Id(0)] TwinParameter[] Parameters,
    [property: Id(1)] TwinFit Fit,
    [property: Id(2)] TwinObservationWindow Observations,
    [property: Id(3)] string ModelVersion,
    [property: Id(4)] string EngineVersion,
    [property: Id(5)] string RequestHash,
    [property: Id(6)] DateTimeOffset CalibratedAt);

[GenerateSerializer, Immutable, Alias("dth.twins.validation-view")]
public sealed record TwinValidationView(
    [property: Id(0)] TwinMetrics Metrics,
    [property: Id(1)] TwinAcceptance Acceptance,
    [property: Id(2)] bool Passed,
    [property: Id(3)] string[] Failures,
    [property: Id(4)] TwinObservationWindow HeldOut,
    [property: Id(5)] string RequestHash,
    [property: Id(6)] DateTimeOffset ValidatedAt);

[GenerateSerializer, Immutable, Alias("dth.twins.scenario-view")]
public sealed record TwinScenarioView(
    [property: Id(0)] string ScenarioId,
    [property: Id(1)] TwinScenario Scenario,
    [property: Id(2)] TwinScenarioSummary Summary,
    [property: Id(3)] string RequestHash,
    [property: Id(4)] string ModelVersion,
    [property: Id(5)] string EngineVersion,
    [property: Id(6)] DateTimeOffset TestedAt,
    [property: Id(7)] string? RunId = null);

/// <summary>A reason the twin is stale: its cause (model-version, engine-version, dataset-version, grant) and what changed.</summary>
[GenerateSerializer, Immutable, Alias("dth.twins.stale-reason")]
public sealed record TwinStaleReason(
    [property: Id(0)] string Cause,
    [property: Id(1)] string Reason,
    [property: Id(2)] DateTimeOffset MarkedAt);

/// <summary>A digital twin as its owner and auditors see it, with its living V&amp;V 40 credibility record.</summary>
[GenerateSerializer, Immutable, Alias("dth.twins.view")]
public sealed record TwinView(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string Owner,
    [property: Id(3)] string? OwnerInstitution,
    [property: Id(4)] TwinStatus Status,
    [property: Id(5)] TwinStaleReason[] StaleReasons,
    [property: Id(6)] string ModelId,
    [property: Id(7)] string ModelVersion,
    [property: Id(8)] string EngineVersion,
    [property: Id(9)] string Purpose,
    [property: Id(10)] string QuestionOfInterest,
    [property: Id(11)] string ContextOfUse,
    [property: Id(12)] TwinAcceptance Acceptance,
    [property: Id(13)] TwinDataView? Data,
    [property: Id(14)] TwinCalibrationView? Calibration,
    [property: Id(15)] TwinValidationView? Validation,
    [property: Id(16)] TwinScenarioView[] Scenarios,
    [property: Id(17)] CredibilityRecord Credibility,
    [property: Id(18)] string? RetiredReason,
    [property: Id(19)] long Version,
    [property: Id(20)] DateTimeOffset CreatedAt,
    [property: Id(21)] DateTimeOffset UpdatedAt)
{
    /// <summary>What the owner should know that does not make the twin stale (its model deprecated in the catalogue).</summary>
    [Id(22)] public string[] Notices { get; init; } = [];
}
