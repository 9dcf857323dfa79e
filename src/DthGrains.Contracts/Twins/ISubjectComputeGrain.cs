using DthGrains.Contracts.Platform;

namespace DthGrains.Contracts.Twins;

/// <summary>
/// A twin's computation on one dataset subject, done where the data are: resident on the owning institution's silos
/// (key <c>{institution}/{datasetId}</c>, like the dataset's grain). Each call reads the subject through the dataset's
/// grain (policy checked with action <c>simulate</c>, the read or refusal recorded with the pseudonym), maps it to the
/// model's timeline and computes off the grain turn. Only the results below leave the institution, never a resource.
/// The context carries the twin's purpose.
/// </summary>
public interface ISubjectComputeGrain : IGrainWithStringKey
{
    /// <summary>What linking the subject records: observation window, counts, basal rate, body weight, mapping warnings, grant.</summary>
    Task<Outcome<SubjectLinkResult>> LinkAsync(string datasetVersion, string subjectPseudonym, string modelId, CommandContext context);

    /// <summary>Fits the personal parameters of <paramref name="modelVersion"/> to the subject's data (all but the held-out last day).</summary>
    Task<Outcome<SubjectCalibrationResult>> CalibrateAsync(string datasetVersion, string subjectPseudonym, string modelId, string modelVersion, CommandContext context);

    /// <summary>Compares predictions with the fitted parameters against the subject's held-out observations.</summary>
    Task<Outcome<SubjectValidationResult>> ValidateAsync(string datasetVersion, string subjectPseudonym, string modelId, string modelVersion,
        TwinParameter[] fitted, CommandContext context);

    /// <summary>The institutions this activation's silo hosts and its address (<c>inst,…@silo</c>), for residency checks.</summary>
    Task<string> HostingInstitutionsAsync();
}

/// <summary>The facts of a subject's data a twin records when linking it; no observation itself.</summary>
[GenerateSerializer, Immutable, Alias("dth.twins.subject-link-result")]
public sealed record SubjectLinkResult(
    [property: Id(0)] string DatasetVersion,
    [property: Id(1)] string? GrantId,
    [property: Id(2)] TwinObservationWindow Glucose,
    [property: Id(3)] int Meals,
    [property: Id(4)] int Boluses,
    [property: Id(5)] double? BasalUnitsPerHour,
    [property: Id(6)] double? BodyWeightKg,
    [property: Id(7)] string[] MappingWarnings,
    [property: Id(8)] string[] UnmappedCodes);

/// <summary>A calibration's result as the twin records it: parameters with standard errors, fit, observation window, request hash.</summary>
[GenerateSerializer, Immutable, Alias("dth.twins.subject-calibration-result")]
public sealed record SubjectCalibrationResult(
    [property: Id(0)] TwinParameter[] Parameters,
    [property: Id(1)] TwinFit Fit,
    [property: Id(2)] TwinObservationWindow Observations,
    [property: Id(3)] string RequestHash);

/// <summary>A validation's result as the twin records it: metrics, held-out window, request hash.</summary>
[GenerateSerializer, Immutable, Alias("dth.twins.subject-validation-result")]
public sealed record SubjectValidationResult(
    [property: Id(0)] TwinMetrics Metrics,
    [property: Id(1)] TwinObservationWindow HeldOut,
    [property: Id(2)] string RequestHash);
