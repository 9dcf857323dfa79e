namespace DthGrains.Fhir.Outcomes;

/// <summary>Severity of an OperationOutcome issue (FHIR R4 issue-severity).</summary>
public enum OutcomeSeverity
{
    Fatal = 0,
    Error = 1,
    Warning = 2,
    Information = 3,
}

/// <summary>
/// One OperationOutcome issue as a plain record: severity, FHIR issue-type code (for example <c>structure</c>,
/// <c>not-found</c>, <c>too-costly</c>; see <see cref="IssueCodes"/>), human-readable diagnostics, and the element it is
/// about as a FHIRPath-like expression such as <c>Bundle.entry[3].resource.subject</c>.
/// </summary>
public sealed record OutcomeIssue(OutcomeSeverity Severity, string Code, string Diagnostics, string? Expression = null);

/// <summary>FHIR R4 issue-type codes used by this project (http://hl7.org/fhir/issue-type).</summary>
public static class IssueCodes
{
    public const string Invalid = "invalid";
    public const string Structure = "structure";
    public const string Required = "required";
    public const string Value = "value";
    public const string Invariant = "invariant";
    public const string CodeInvalid = "code-invalid";
    public const string NotSupported = "not-supported";
    public const string Duplicate = "duplicate";
    public const string NotFound = "not-found";
    public const string TooCostly = "too-costly";
    public const string Processing = "processing";
    public const string Exception = "exception";
    public const string Informational = "informational";
}
