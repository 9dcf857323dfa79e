using DthGrains.Contracts.Catalogue;

namespace DthGrains.Domain.Catalogue;

public sealed record ResourceDrafted(string Id, ResourceKind Kind, string Publisher, ResourceMetadata Metadata, DateTimeOffset DraftedAt);

public sealed record ResourceMetadataRevised(string Id, ResourceMetadata Metadata, DateTimeOffset RevisedAt);

/// <summary>An immutable version, frozen with the metadata it was released with.</summary>
public sealed record ResourceVersionReleased(string Id, string Version, string ReleaseNotes, string Checksum, string[] ConformsTo,
    ResourceMetadata Metadata, DatasetFacts? Dataset, DateTimeOffset ReleasedAt);

public sealed record ResourcePublished(string Id, DateTimeOffset PublishedAt);

public sealed record ResourceDeprecated(string Id, string Reason, DateTimeOffset DeprecatedAt);

public sealed record ResourceWithdrawn(string Id, string Reason, DateTimeOffset WithdrawnAt);

public sealed record CredibilityRecorded(string Id, string Version, CredibilityRecord Record, DateTimeOffset RecordedAt);

/// <summary>
/// A dataset payload was read (EHDS Art. 9 access log): who, which data, for what purpose, under which grant, and
/// the pseudonyms of the subjects whose data it was (so each data subject can be shown every use of their data). The
/// action is what the data were read for (<c>read</c> for a payload download, <c>simulate</c> for a twin's read of one subject).
/// </summary>
public sealed record DataAccessed(string DatasetId, string Institution, string Version, string Actor, string? ActorInstitution,
    string? Purpose, string? GrantId, int Subjects, DateTimeOffset AccessedAt, string[]? SubjectPseudonyms = null, string? Action = null);

/// <summary>A read of a dataset payload was refused, with the reason and the subjects it asked for; recorded like every access.</summary>
public sealed record AccessDenied(string DatasetId, string Institution, string Version, string Actor, string? ActorInstitution,
    string? Purpose, string Reason, DateTimeOffset DeniedAt, string[]? SubjectPseudonyms = null, string? Action = null);

public static class CatalogueEventTypes
{
    public static readonly IReadOnlyDictionary<Type, string> Names = new Dictionary<Type, string>
    {
        [typeof(ResourceDrafted)] = "catalogue.resource_drafted",
        [typeof(ResourceMetadataRevised)] = "catalogue.metadata_revised",
        [typeof(ResourceVersionReleased)] = "catalogue.version_released",
        [typeof(ResourcePublished)] = "catalogue.resource_published",
        [typeof(ResourceDeprecated)] = "catalogue.resource_deprecated",
        [typeof(ResourceWithdrawn)] = "catalogue.resource_withdrawn",
        [typeof(CredibilityRecorded)] = "catalogue.credibility_recorded",
        [typeof(DataAccessed)] = "governance.data_accessed",
        [typeof(AccessDenied)] = "governance.access_denied",
    };

    public static string StreamOf(string resourceId) => $"resource:{resourceId}";

    /// <summary>Every read and every denial of one dataset's payload.</summary>
    public static string AccessLogOf(string institution, string datasetId) => $"dataset-access:{institution}/{datasetId}";
}
