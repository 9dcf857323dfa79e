namespace DthGrains.Fhir.Mapping;

/// <summary>
/// Something about one resource that did not map: its type and id (never a Patient's), the element (FHIRPath-like)
/// and what is wrong. Messages name codes and units, never values copied from identity fields.
/// </summary>
public sealed record MappingIssue(string ResourceType, string ResourceId, string Element, string Message);

/// <summary>
/// The outcome of a mapping. Warnings: data left out on purpose (unmapped codes, cancelled records, medication
/// statements without times). Errors: data the model needs but cannot use as given (no unit, unknown or wrong unit, no
/// time, no value), which make the timeline unusable until fixed. <see cref="UnmappedCodes"/> lists every
/// <c>system|code</c> that no mapping knows, once, in order of first appearance.
/// </summary>
public sealed record MappingReport(IReadOnlyList<MappingIssue> Warnings, IReadOnlyList<MappingIssue> Errors, IReadOnlyList<string> UnmappedCodes)
{
    /// <summary>True when there are no errors.</summary>
    public bool IsSuccess => Errors.Count == 0;
}
