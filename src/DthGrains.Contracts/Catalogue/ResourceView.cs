namespace DthGrains.Contracts.Catalogue;

/// <summary>A released, immutable version of a resource.</summary>
[GenerateSerializer, Immutable, Alias("dth.catalogue.version")]
public sealed record ResourceVersion(
    [property: Id(0)] string Version,
    [property: Id(1)] string ReleaseNotes,
    [property: Id(2)] string Checksum,
    [property: Id(3)] string[] ConformsTo,
    [property: Id(4)] DateTimeOffset ReleasedAt,
    [property: Id(5)] DatasetFacts? Dataset,
    [property: Id(6)] CredibilityRecord? Credibility);

/// <summary>What an uploaded dataset version holds (counted from its FHIR content, never the content itself).</summary>
[GenerateSerializer, Immutable, Alias("dth.catalogue.dataset-facts")]
public sealed record DatasetFacts(
    [property: Id(0)] IReadOnlyDictionary<string, int> ResourcesByType,
    [property: Id(1)] int Subjects,
    [property: Id(2)] long Bytes);

/// <summary>A catalogue entry as its grain knows it.</summary>
[GenerateSerializer, Immutable, Alias("dth.catalogue.resource")]
public sealed record ResourceView(
    [property: Id(0)] string Id,
    [property: Id(1)] ResourceKind Kind,
    [property: Id(2)] string Publisher,
    [property: Id(3)] ResourceStatus Status,
    [property: Id(4)] string? StatusReason,
    [property: Id(5)] ResourceMetadata Metadata,
    [property: Id(6)] IReadOnlyList<ResourceVersion> Versions,
    [property: Id(7)] string? LatestVersion,
    [property: Id(8)] long StreamVersion,
    [property: Id(9)] DateTimeOffset CreatedAt,
    [property: Id(10)] DateTimeOffset UpdatedAt);

/// <summary>A version to release: semantic version, notes, the checksum of its artefacts.</summary>
[GenerateSerializer, Immutable, Alias("dth.catalogue.release")]
public sealed record VersionRelease(
    [property: Id(0)] string Version,
    [property: Id(1)] string ReleaseNotes,
    [property: Id(2)] string Checksum,
    [property: Id(3)] string[]? ConformsTo = null);
