namespace DthGrains.Contracts.Platform;

/// <summary>What kind of failure a command met; the HTTP edge maps each kind to one status code.</summary>
public enum ProblemKind
{
    Validation = 400,
    Forbidden = 403,
    NotFound = 404,
    Conflict = 409,
    PreconditionFailed = 412,
    PreconditionRequired = 428,
    Unprocessable = 422,
    PayloadTooLarge = 413,
    UnsupportedMediaType = 415,
    TooManyRequests = 429,
    Unavailable = 503,
}

/// <summary>
/// A failure a person can read, carried across grain calls instead of exceptions
/// (exceptions across silos need codecs and lose their shape). Maps to RFC 9457 ProblemDetails.
/// </summary>
[GenerateSerializer, Immutable, Alias("dth.problem")]
public sealed record Problem(
    [property: Id(0)] ProblemKind Kind,
    [property: Id(1)] string Title,
    [property: Id(2)] string Detail,
    [property: Id(3)] IReadOnlyDictionary<string, string[]>? Errors = null,
    [property: Id(4)] long? CurrentVersion = null,
    [property: Id(5)] string? FhirOperationOutcome = null)
{
    public static Problem Invalid(string detail, IReadOnlyDictionary<string, string[]>? errors = null) =>
        new(ProblemKind.Validation, "The request is not valid", detail, errors);

    public static Problem Invalid(string field, string message) =>
        Invalid(message, new Dictionary<string, string[]> { [field] = [message] });

    public static Problem NotFound(string what) => new(ProblemKind.NotFound, "Not found", $"{what} does not exist.");

    public static Problem Conflict(string detail, long? currentVersion = null) =>
        new(ProblemKind.Conflict, "Conflict with the current state", detail, null, currentVersion);

    public static Problem Forbidden(string detail) => new(ProblemKind.Forbidden, "Forbidden", detail);

    public static Problem Unavailable(string detail) => new(ProblemKind.Unavailable, "Service unavailable", detail);
}
