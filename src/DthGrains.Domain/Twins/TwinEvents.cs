using DthGrains.Contracts.Twins;

namespace DthGrains.Domain.Twins;

// Every event names what it used in plainly named properties (modelId, modelVersion, engineVersion, datasetId,
// datasetVersion, subjectPseudonym, grantId, requestHash) so that the lineage of a twin can be read off its stream.
// Only the dataset subject's pseudonym ever appears: never a name, birth date or identifier from the FHIR data.

/// <summary>
/// The twin was designed: model version, engine version, V&amp;V 40 header, acceptance criteria, purpose.
/// <see cref="ModelCredibilityLevel"/> is the model-form level achieved in the model version's catalogue credibility record.
/// </summary>
public sealed record TwinDesigned(string TwinId, string Name, string Owner, string? OwnerInstitution, string ModelId, string ModelVersion,
    string EngineVersion, int? ModelCredibilityLevel, string QuestionOfInterest, string ContextOfUse, int ModelInfluence, int DecisionConsequence,
    TwinAcceptance Acceptance, string Purpose, DateTimeOffset DesignedAt);

/// <summary>
/// One dataset subject's data was linked under <see cref="GrantId"/> (null when the owner's own member reads it): what the
/// FHIR mapping found (glucose window, meals, boluses, basal, body weight) and what it left out.
/// <see cref="LatestVersionAtLink"/>: the dataset's latest version then (null in events recorded before session 32): an
/// older version linked on purpose (the one a grant covers) is not stale for the newer one that was already there.
/// </summary>
public sealed record TwinPatientDataLinked(string TwinId, string DatasetId, string DatasetVersion, string DatasetInstitution, string SubjectPseudonym,
    string? GrantId, string Purpose, TwinObservationWindow Glucose, int Meals, int Boluses, double? BasalUnitsPerHour, double? BodyWeightKg,
    string[] MappingWarnings, string[] UnmappedCodes, DateTimeOffset LinkedAt, string? LatestVersionAtLink = null);

/// <summary>
/// The personal parameters were fitted to the subject's observations in <see cref="Observations"/>, on model version
/// <see cref="ModelVersion"/>, whose catalogue V&amp;V 40 record achieved <see cref="ModelCredibilityLevel"/> for its model
/// form (null: none, or recorded before session 32).
/// </summary>
public sealed record TwinCalibrated(string TwinId, string ModelId, string ModelVersion, string EngineVersion, string DatasetId, string DatasetVersion,
    string SubjectPseudonym, string? GrantId, TwinParameter[] Parameters, TwinFit Fit, TwinObservationWindow Observations, string RequestHash,
    DateTimeOffset CalibratedAt, int? ModelCredibilityLevel = null);

/// <summary>Predictions were compared with held-out observations against the acceptance criteria of the context of use.</summary>
public sealed record TwinValidated(string TwinId, string ModelId, string ModelVersion, string EngineVersion, string DatasetId, string DatasetVersion,
    string SubjectPseudonym, string? GrantId, string CalibrationRequestHash, TwinMetrics Metrics, TwinAcceptance Acceptance, bool Passed, string[] Failures,
    TwinObservationWindow HeldOut, string RequestHash, DateTimeOffset ValidatedAt);

/// <summary>
/// A what-if scenario ran on the calibrated twin: by the runner named (<c>run-platform</c>: as the simulation run
/// <see cref="RunId"/>; <c>local-engine</c>: in the twin's silo, as recorded before scenario tests became runs).
/// </summary>
public sealed record TwinScenarioTested(string TwinId, string ScenarioId, TwinScenario Scenario, TwinScenarioSummary Summary, string ModelId,
    string ModelVersion, string EngineVersion, string DatasetId, string DatasetVersion, string SubjectPseudonym, string? GrantId,
    string CalibrationRequestHash, string RequestHash, string Runner, DateTimeOffset TestedAt, string? RunId = null);

public sealed record TwinActivated(string TwinId, string By, string ValidationRequestHash, DateTimeOffset ActivatedAt);

public sealed record TwinRetired(string TwinId, string By, string Reason, DateTimeOffset RetiredAt);

/// <summary>Something the twin rests on changed: <see cref="Cause"/> is model-version, engine-version, dataset-version or grant.</summary>
public sealed record TwinMarkedStale(string TwinId, string Cause, string Reason, string? ModelVersion, string? EngineVersion, string? DatasetVersion,
    string? GrantId, DateTimeOffset MarkedAt);

/// <summary>
/// The twin's model was deprecated in the catalogue (superseded, discouraged, still usable): not a staleness, since
/// nothing the twin computed changed, but a notice its owner sees, with the publisher's reason.
/// </summary>
public sealed record TwinModelDeprecationNoted(string TwinId, string ModelId, string Reason, DateTimeOffset NotedAt);

public static class TwinEventTypes
{
    public static readonly IReadOnlyDictionary<Type, string> Names = new Dictionary<Type, string>
    {
        [typeof(TwinDesigned)] = "twins.designed",
        [typeof(TwinPatientDataLinked)] = "twins.patient_data_linked",
        [typeof(TwinCalibrated)] = "twins.calibrated",
        [typeof(TwinValidated)] = "twins.validated",
        [typeof(TwinScenarioTested)] = "twins.scenario_tested",
        [typeof(TwinActivated)] = "twins.activated",
        [typeof(TwinRetired)] = "twins.retired",
        [typeof(TwinMarkedStale)] = "twins.marked_stale",
        [typeof(TwinModelDeprecationNoted)] = "twins.model_deprecation_noted",
    };

    public const string StreamPrefix = "twin:";

    public static string StreamOf(string twinId) => $"{StreamPrefix}{twinId}";
}

/// <summary>The causes of staleness.</summary>
public static class StaleCauses
{
    public const string ModelVersion = "model-version";
    public const string EngineVersion = "engine-version";
    public const string DatasetVersion = "dataset-version";
    public const string Grant = "grant";

    /// <summary>The twin's model was withdrawn from the catalogue (unsafe, retracted): nothing clears it; retire the twin.</summary>
    public const string ModelWithdrawn = "model-withdrawn";

    /// <summary>The linked dataset was withdrawn by its publisher: nobody reads it any more; link other data to go on.</summary>
    public const string DatasetWithdrawn = "dataset-withdrawn";

    /// <summary>The causes that concern the linked data, which linking data again clears.</summary>
    public static bool ConcernsData(string cause) => cause is Grant or DatasetVersion or DatasetWithdrawn;
}
