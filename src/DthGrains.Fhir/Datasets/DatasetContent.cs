namespace DthGrains.Fhir.Datasets;

/// <summary>
/// One resource of a dataset version as a storable row: type, id (as uploaded, or assigned from a <c>urn:uuid</c>
/// fullUrl), the pseudonym of the patient it is about (the Patient's id; null when it is about no patient) and its
/// canonical FHIR JSON (re-serialised, references inside the bundle rewritten to <c>Type/id</c>).
/// </summary>
public sealed record DatasetResource(string ResourceType, string Id, string? SubjectPseudonym, string Json);

/// <summary>
/// The validated content of an uploaded bundle: rows in bundle order, counts by resource type (ordinal order),
/// the distinct subjects (Patient ids, which are the pseudonyms; ordinal order), and a SHA-256 checksum (lowercase hex)
/// over the canonical rows in (type, id) order, so the same content gives the same checksum whatever its entry order.
/// </summary>
public sealed record DatasetContent(
    string BundleType,
    IReadOnlyList<DatasetResource> Resources,
    IReadOnlyDictionary<string, int> CountsByType,
    IReadOnlyList<string> Subjects,
    string Checksum)
{
    /// <summary>Number of resources.</summary>
    public int Count => Resources.Count;

    /// <summary>The rows about one subject, in bundle order.</summary>
    public IEnumerable<DatasetResource> ForSubject(string pseudonym) =>
        Resources.Where(r => string.Equals(r.SubjectPseudonym, pseudonym, StringComparison.Ordinal));
}
